import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { ERROR_CODES, type ErrorCode } from "../../kernel/errors";

/**
 * A self-contained API reference rendered on the server from the OpenAPI document: no script, no asset
 * from a CDN, so it works offline and under a strict Content-Security-Policy.
 */
type Json = Record<string, unknown>;

const METHOD_ORDER = ["get", "post", "put", "patch", "delete"] as const;

const REF_PREFIX = "#/components/schemas/";

function schemaBlock(schema: unknown): HtmlEscapedString | Promise<HtmlEscapedString> {
  if (schema === undefined) return html``;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === "string" && ref.startsWith(REF_PREFIX)) {
    const name = ref.slice(REF_PREFIX.length);
    return html` → <a href="#schema-${name}"><code>${name}</code></a>`;
  }
  return html`<pre>${JSON.stringify(schema, null, 2)}</pre>`;
}

function anchor(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
}

export function renderReferencePage(doc: Json): HtmlEscapedString | Promise<HtmlEscapedString> {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    METHOD_ORDER.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json })),
  );
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, unknown>;

  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${String(info.title ?? "API")} — reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
nav{position:fixed;top:0;bottom:0;width:260px;overflow:auto;padding:16px;background:#fff;border-right:1px solid #e3e6ea}
nav a{display:block;color:#1d2330;text-decoration:none;padding:2px 0;font-size:13px}
main{margin-left:292px;padding:24px 32px;max-width:960px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:16px 20px;margin:16px 0}
.m{display:inline-block;min-width:56px;font:600 12px monospace;text-transform:uppercase;color:#fff;border-radius:4px;padding:2px 6px;text-align:center}
.get{background:#2f7d32}.post{background:#1f5fbf}.put,.patch{background:#a36400}.delete{background:#b3261e}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f3f5f7;padding:10px;border-radius:6px;overflow:auto;max-height:360px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eef0f2;padding:6px;text-align:left;vertical-align:top}
</style>
</head>
<body>
<nav>
<strong>${String(info.title ?? "API")}</strong> <small>${String(info.version ?? "")}</small>
<p><a href="/v1/openapi.json">openapi.json</a></p>
${operations.map(({ path, method }) => html`<a href="#${anchor(method, path)}"><span class="m ${method}">${method}</span> ${path}</a>`)}
<p><a href="#errors">Errors</a></p>
</nav>
<main>
<h1>${String(info.title ?? "API")}</h1>
<p>${String(info.description ?? "")}</p>
${operations.map(({ path, method, op }) => {
  const parameters = (op.parameters ?? []) as Json[];
  const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.["application/json"] as Json | undefined;
  const responses = (op.responses ?? {}) as Record<string, Json>;
  return html`<section id="${anchor(method, path)}">
<h2><span class="m ${method}">${method}</span> <code>${path}</code></h2>
<p><strong>${String(op.summary ?? "")}</strong></p>
<p>${String(op.description ?? "")}</p>
${
  parameters.length
    ? html`<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${parameters.map(
        (p) =>
          html`<tr><td><code>${String(p.name)}</code></td><td>${String(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td><code>${JSON.stringify(p.schema ?? {})}</code></td></tr>`,
      )}</table>`
    : ""
}
${body ? html`<h3>Request body (application/json)</h3>${schemaBlock(body.schema)}` : ""}
<h3>Responses</h3>
<table>${Object.entries(responses).map(([status, response]) => {
    const schema = ((response.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
    return html`<tr><td><strong>${status}</strong></td><td>${String(response.description ?? "")}${schemaBlock(schema)}</td></tr>`;
  })}</table>
</section>`;
})}
<section id="errors">
<h2>Errors</h2>
<p>Every error has the shape <code>{ "error": { "code", "message", "details", "request_id", "documentation_url" } }</code>.</p>
<table><tr><th>code</th><th>status</th><th>meaning</th></tr>
${(Object.entries(ERROR_CODES) as [ErrorCode, { status: number; description: string }][]).map(
  ([code, { status, description }]) =>
    html`<tr id="errors-${code}"><td><code>${code}</code></td><td>${status}</td><td>${description}</td></tr>`,
)}
</table>
</section>
<section id="schemas">
<h2>Schemas</h2>
${Object.entries(schemas).map(([name, schema]) => html`<h3 id="schema-${name}">${name}</h3>${schemaBlock(schema)}`)}
</section>
</main>
</body>
</html>`;
}
