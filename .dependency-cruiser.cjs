/**
 * The layers of vvcu, lowest first (docs/architecture.md draws them):
 *   domain     pure types and functions: C-ITS decoding, geometry, models, the event catalog, topics,
 *              topology, configuration schema, the twin reducer, geofence decisions, the migration state machine
 *   runtime    transports and stores around the domain: event sinks, router, MQTT bridge, twin stores,
 *              migration journals and drivers, the twin CNF's HTTP API
 *   functions  one service per function (twin, geofence, migration, proxy, manager), built from the layers below
 *   entries    functions-framework entry points (functions/NAME/index.ts), the vvcu command (cli/, bin/)
 * An import may only go to the same layer or one below; nothing in the product imports tests or tools.
 */
const DOMAIN =
  "^functions/lib/(cits|geo|model)/|^functions/lib/(events|topics|topology|config|conforms)\\.ts$|^functions/lib/twin/state/|^functions/lib/geofence/decide\\.ts$|^functions/lib/migration/engine/(machine|record)\\.ts$";
const OBSERVABILITY = "^functions/lib/(log|metrics|tracing)\\.ts$";
const RUNTIME =
  "^functions/lib/runtime/|^bridges/|^functions/lib/twin/store/|^functions/lib/twin/remote/|^functions/lib/migration/(journal|drivers)/";
const ENTRIES = "^functions/[^/]+/index\\.ts$|^cli/|^bin/";
const PRODUCT = "^(functions|bridges|cli|bin)/";

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    {
      name: "product-not-on-tests-or-tools",
      comment: "The image holds functions/, bridges/ and cli/ only: tests and tools are not in it.",
      severity: "error",
      from: { path: PRODUCT },
      to: { path: "^(test|scripts)/" },
    },
    {
      name: "domain-stays-pure",
      comment:
        "The domain imports only the domain (and observability): no transport, store, driver or service.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^(functions|bridges|cli|bin)/", pathNot: `${DOMAIN}|${OBSERVABILITY}` },
    },
    {
      name: "observability-below-runtime",
      severity: "error",
      from: { path: OBSERVABILITY },
      to: { path: "^(functions|bridges|cli|bin)/", pathNot: `${DOMAIN}|${OBSERVABILITY}` },
    },
    {
      name: "runtime-below-functions",
      comment: "Transports and stores know the domain, not the services that use them.",
      severity: "error",
      from: { path: RUNTIME },
      to: { path: "^(functions|bridges|cli|bin)/", pathNot: `${DOMAIN}|${OBSERVABILITY}|${RUNTIME}` },
    },
    {
      name: "functions-below-entries",
      severity: "error",
      from: { path: "^functions/lib/" },
      to: { path: ENTRIES },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
