/**
 * GET /docs: a self-contained page (no CDN, works offline) that reads /openapi.json, lists
 * every operation with its parameters and responses, and lets one try it (path and query
 * parameters, JSON body, bearer token).
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vvcu manager API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d232a; }
  h1 { margin-bottom: .2rem; } .muted { color: #5b6672; }
  details { border: 1px solid #d5dbe1; border-radius: 6px; margin: .6rem 0; padding: .4rem .8rem; }
  summary { cursor: pointer; font-family: ui-monospace, monospace; }
  .method { display: inline-block; width: 4.2rem; font-weight: 700; }
  .get { color: #1a7f37; } .post { color: #0969da; }
  label { display: block; margin: .3rem 0; } input, textarea { font: 13px ui-monospace, monospace; width: 100%; box-sizing: border-box; }
  pre { background: #f4f6f8; padding: .6rem; overflow: auto; max-height: 24rem; font-size: 13px; }
  button { margin: .4rem 0; padding: .3rem 1rem; }
</style>
</head>
<body>
<h1>vvcu manager API</h1>
<p class="muted">Generated from <a href="openapi.json">openapi.json</a>. Mutating calls need the bearer token when VVCU_API_TOKEN is set.</p>
<label>Bearer token <input id="token" type="password" autocomplete="off" placeholder="(only when VVCU_API_TOKEN is set)"></label>
<div id="operations">Loading openapi.json ...</div>
<script>
const base = location.pathname.replace(/\\/docs\\/?$/, "");
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const resolve = (doc, schema) => (schema && schema.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema);
function operation(doc, path, method, op) {
  const params = op.parameters || [];
  const inputs = params.map((p) => {
    const input = el("input", { name: p.name, placeholder: p.required ? "required" : "optional" });
    return { p, input, label: el("label", {}, p.in + " " + p.name + (p.description ? " — " + p.description : ""), input) };
  });
  const hasBody = Boolean(op.requestBody);
  const body = el("textarea", { rows: 3, value: hasBody ? '{"target": ""}' : "" });
  const out = el("pre", {}, "");
  const responses = Object.entries(op.responses).map(([code, r]) => code + " " + r.description).join("\\n");
  const schemaText = hasBody ? JSON.stringify(resolve(doc, op.requestBody.content["application/json"].schema), null, 2) : "";
  const run = el("button", { textContent: "Try it" });
  run.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const { p, input } of inputs) {
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(input.value));
      else if (input.value !== "") query.set(p.name, input.value);
    }
    const headers = {};
    const token = document.getElementById("token").value;
    if (token) headers.Authorization = "Bearer " + token;
    if (hasBody) headers["Content-Type"] = "application/json";
    out.textContent = "...";
    try {
      const response = await fetch(base + url + (query.size ? "?" + query : ""), { method: method.toUpperCase(), headers, body: hasBody ? body.value : undefined });
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = response.status + " " + response.statusText + "\\n\\n" + shown;
    } catch (error) { out.textContent = String(error); }
  };
  return el("details", {},
    el("summary", {}, el("span", { className: "method " + method, textContent: method.toUpperCase() }), path + "  ", el("span", { className: "muted", textContent: op.summary || "" })),
    ...inputs.map((i) => i.label),
    ...(hasBody ? [el("label", {}, "JSON body", body), el("pre", {}, schemaText)] : []),
    el("pre", {}, responses), run, out);
}
fetch(base + "/openapi.json").then((r) => r.json()).then((doc) => {
  const list = document.getElementById("operations");
  list.textContent = "";
  list.append(el("p", { className: "muted", textContent: doc.info.title + " " + doc.info.version + " — " + (doc.info.description || "") }));
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) list.append(operation(doc, path, method, op));
}).catch((error) => { document.getElementById("operations").textContent = "Could not load openapi.json: " + error; });
</script>
<noscript><p>This page needs JavaScript to render; the document itself is at <a href="openapi.json">openapi.json</a>.</p></noscript>
</body>
</html>
`;

export function docsPage(): string {
  return PAGE;
}
