# syntax=docker/dockerfile:1
# One image for every vvcu component. A Knative Service picks its function with FUNCTION_TARGET
# (twin, geofence, migration, proxy, manager; the twin CNF of charts/vvcu-twin runs twin-cnf):
# functions-framework serves dist/functions/$FUNCTION_TARGET/index.js on $PORT.
# The bridge (a ContainerSource) overrides the command: node dist/cli/main.js bridge.
#
# The TypeScript is compiled in the build stage (npm run build, tsconfig.build.json) rather than run through
# tsx at start: a Knative cold start then loads plain JavaScript, with no transpiling on the request path.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY functions functions
COPY bridges bridges
COPY cli cli
COPY knative/triggers.yaml knative/triggers.yaml
# Data files the code reads next to itself (the bundled topology, the routing of the embedded stack,
# the console's page, which the manager bundles with esbuild when first asked for it) go beside the
# compiled modules, where the same relative paths find them.
RUN npm run build \
 && find functions bridges cli -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -exec cp --parents {} dist/ \; \
 && cp --parents knative/triggers.yaml dist/ \
 && cp -r functions/lib/console/page dist/functions/lib/console/ \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# package.json says "type": "module", which the compiled ESM needs; files stay owned by root, read-only to the app.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The `node` user (uid 1000) of the official image; numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# sh -c only to expand FUNCTION_TARGET into the source path; exec makes node PID 1 so it receives SIGTERM,
# which functions-framework handles by draining.
ENTRYPOINT ["/bin/sh", "-c", "exec node node_modules/@google-cloud/functions-framework/build/src/main.js --target=\"${FUNCTION_TARGET:?set FUNCTION_TARGET to twin, geofence, migration, proxy, manager or twin-cnf}\" --source=\"dist/functions/${FUNCTION_TARGET}/index.js\" \"$@\"", "vvcu"]
