/**
 * `GET /docs`: a self-contained page (no CDN, no build step) that fetches `openapi.json` and
 * lists every operation with its parameters, body and responses, and every schema. Its inline
 * script and style are allowed by hash in a strict Content-Security-Policy.
 *
 * Descriptions in the document are Markdown-ish: they mark names with code spans (`cursor`). The
 * page renders those spans, and nothing else of Markdown, by building text nodes and `<code>`
 * elements — never HTML from the document — so no text in it can add markup or script.
 */
import { createHash } from "node:crypto";

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1rem 1.5rem 4rem; color: #1d2430; }
h1 { margin-bottom: .25rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d8dde6; text-transform: capitalize; }
details { border: 1px solid #d8dde6; border-radius: 6px; margin: .5rem 0; padding: .25rem .75rem; }
summary { cursor: pointer; padding: .25rem 0; }
.method { display: inline-block; min-width: 4.5rem; font-weight: 700; font-family: ui-monospace, monospace; }
.get { color: #1a6e32; } .post { color: #1f5fa8; } .delete { color: #a8261f; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f5f7fa; padding: .75rem; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #d8dde6; padding: .2rem .5rem; text-align: left; vertical-align: top; }
.note { white-space: pre-wrap; } .error { color: #a8261f; }
`;

const SCRIPT = `
(async () => {
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) if (child !== undefined && child !== null) node.append(child);
    return node;
  };
  // Single-backtick code spans become <code> elements; everything else, an unpaired backtick
  // included, stays text. Only text nodes and textContent are made: never HTML from the document.
  const prose = (value) => {
    const text = value === undefined || value === null ? "" : String(value);
    const span = /\`([^\`]+)\`/g;
    const nodes = [];
    let last = 0;
    for (let match; (match = span.exec(text)); last = span.lastIndex) {
      nodes.push(text.slice(last, match.index), el("code", {}, match[1]));
    }
    nodes.push(text.slice(last));
    return nodes;
  };
  const main = document.getElementById("operations");
  let doc;
  try {
    const response = await fetch("openapi.json");
    doc = await response.json();
  } catch (error) {
    main.append(el("p", { class: "error" }, "Could not load openapi.json: " + error));
    return;
  }
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").replaceChildren(...prose(doc.info.description));
  const resolve = (value) => {
    if (!value || !value.$ref) return value;
    return value.$ref.slice(2).split("/").reduce((node, key) => node[key], doc);
  };
  const schemaLink = (schema) => schema && schema.$ref ? el("a", { href: "#schema-" + schema.$ref.split("/").pop() }, schema.$ref.split("/").pop()) : el("code", {}, JSON.stringify(schema));
  const schemaView = (schema) => {
    const pre = el("pre");
    const text = JSON.stringify(schema, null, 2);
    const ref = /"\\$ref": "#\\/components\\/schemas\\/([^"]+)"/g;
    let last = 0;
    for (let match; (match = ref.exec(text)); last = ref.lastIndex) {
      pre.append(text.slice(last, match.index), '"$ref": ', el("a", { href: "#schema-" + match[1] }, match[1]));
    }
    pre.append(text.slice(last));
    return pre;
  };
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  for (const [tag, operations] of byTag) {
    main.append(el("h2", {}, tag));
    for (const [path, method, op] of operations) {
      const body = el("div");
      body.append(el("p", { class: "note" }, ...prose(op.description)));
      const params = (op.parameters || []).map(resolve);
      if (params.length) {
        const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "required"), el("th", {}, "schema")));
        for (const p of params) table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, p.required ? "yes" : "no"), el("td", {}, el("code", {}, JSON.stringify(p.schema)))));
        body.append(el("h4", {}, "Parameters"), table);
      }
      if (op.requestBody) {
        const content = op.requestBody.content["application/json"];
        body.append(el("h4", {}, "Body (application/json)" + (op.requestBody.required ? "" : ", optional") + ": "), schemaLink(content.schema));
      }
      const responses = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning"), el("th", {}, "body"), el("th", {}, "headers")));
      for (const [status, raw] of Object.entries(op.responses)) {
        const response = resolve(raw);
        const content = response.content && Object.entries(response.content)[0];
        const headers = Object.keys(response.headers || {}).join(", ");
        responses.append(el("tr", {}, el("td", {}, status), el("td", {}, ...prose(response.description)), el("td", {}, content ? schemaLink(content[1].schema) : "-"), el("td", {}, headers)));
      }
      body.append(el("h4", {}, "Responses"), responses);
      const summary = el("summary", {}, el("span", { class: "method " + method }, method.toUpperCase()), el("code", {}, path), " — ", ...prose(op.summary));
      const details = el("details", { id: op.operationId }, summary, body);
      // Deep links (#jobsEmailCreate) open their operation.
      if (location.hash === "#" + op.operationId) details.open = true;
      main.append(details);
    }
  }
  const schemas = document.getElementById("schemas");
  schemas.append(el("h2", {}, "schemas"));
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(el("h3", { id: "schema-" + name }, name), schemaView(schema));
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
})();
`;

/** The page. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Taskgate API</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1 id="title">Taskgate API</h1>
<p id="description"></p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1) — load it into any OpenAPI viewer or client generator.</p>
</header>
<noscript><p>This page lists the API from <a href="openapi.json">openapi.json</a> with JavaScript; without it, read that document directly.</p></noscript>
<main id="operations"></main>
<section id="schemas"></section>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Allows exactly the page's own script and style, and fetching from its own origin. */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
