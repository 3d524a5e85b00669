/**
 * What the manager serves besides the API: the live console at `/` (its page, its script bundled
 * from page/main.ts by esbuild on first request, Leaflet's stylesheet) and the API reference at
 * `/docs` (Swagger UI over /openapi.json). Everything comes from this repository and
 * node_modules: no CDN, so the pages work without internet. These paths carry no data; the API
 * calls the pages make are what the token guards.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Reply, Route } from "../runtime/http.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = path.join(here, "page");
const require = createRequire(import.meta.url);

export interface ConsoleOptions {
  /** Street map tiles ({z}/{x}/{y}); without, a plain background. */
  tileUrl?: string;
  tileAttribution?: string;
}

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
/** Library files change only with an upgrade: a browser may keep them for an hour. */
const CACHED = { "Cache-Control": "public, max-age=3600" };

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vvcu manager API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
`;

// "Authorize" in Swagger UI takes the bearer token (the document's security scheme).
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** A file read once, on first use. */
function fileOnce(file: () => string): () => string {
  let text: string | undefined;
  return () => {
    text ??= readFileSync(file(), "utf8");
    return text;
  };
}

/** The page's script: page/main.ts and Leaflet bundled into one ES module, built once. */
function bundleOnce(): () => Promise<string> {
  let built: Promise<string> | undefined;
  return () => {
    built ??= (async () => {
      const esbuild = await import("esbuild");
      const result = await esbuild.build({
        entryPoints: [path.join(PAGE_DIR, "main.ts")],
        bundle: true,
        write: false,
        format: "esm",
        target: "es2022",
        minify: true,
        legalComments: "none",
        logLevel: "silent",
        // The page's own tsconfig.json is for type checking; in the image it extends a file left out.
        tsconfigRaw: {},
      });
      return result.outputFiles[0]?.text ?? "";
    })();
    // A failed build is tried again on the next request rather than remembered.
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
}

export function consoleRoutes(options: ConsoleOptions = {}): Route[] {
  const indexPage = fileOnce(() => path.join(PAGE_DIR, "index.html"));
  const leafletCss = fileOnce(() => require.resolve("leaflet/dist/leaflet.css"));
  const swaggerCss = fileOnce(() => require.resolve("swagger-ui-dist/swagger-ui.css"));
  const swaggerJs = fileOnce(() => require.resolve("swagger-ui-dist/swagger-ui-bundle.js"));
  const bundle = bundleOnce();
  const text = (body: string, contentType: string, headers: Record<string, string> = {}): Reply => ({
    status: 200,
    body,
    contentType,
    headers,
  });
  const config = {
    ...(options.tileUrl === undefined ? {} : { tileUrl: options.tileUrl }),
    ...(options.tileAttribution === undefined ? {} : { tileAttribution: options.tileAttribution }),
  };
  const get = (name: string, pattern: RegExp, handle: (req: IncomingMessage) => Promise<Reply> | Reply) => ({
    name,
    method: "GET" as const,
    pattern,
    handle: async (_match: string[], req: IncomingMessage) => handle(req),
  });
  return [
    get("/", /^\/$/, () => text(indexPage(), HTML)),
    get("/console/app.js", /^\/console\/app\.js$/, async () => text(await bundle(), JS)),
    get("/console/leaflet.css", /^\/console\/leaflet\.css$/, () => text(leafletCss(), CSS, CACHED)),
    get("/console/config.json", /^\/console\/config\.json$/, () => ({ status: 200, body: config })),
    get("/docs", /^\/docs$/, (req) => {
      // The page's links are relative to /docs; from /docs/ they would miss.
      if (req.url?.split("?")[0]?.endsWith("/")) {
        return { status: 308, body: { redirect: "docs" }, headers: { Location: "../docs" } };
      }
      return text(DOCS_PAGE, HTML);
    }),
    get("/docs/swagger-ui.css", /^\/docs\/swagger-ui\.css$/, () => text(swaggerCss(), CSS, CACHED)),
    get("/docs/swagger-ui-bundle.js", /^\/docs\/swagger-ui-bundle\.js$/, () => text(swaggerJs(), JS, CACHED)),
    get("/docs/init.js", /^\/docs\/init\.js$/, () => text(DOCS_INIT, JS)),
  ];
}
