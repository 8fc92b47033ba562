import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/**
 * The edge sets its headers (request id, trace, CSP, Vary) on the Context before the route runs, so that no
 * response is copied to add them afterwards. Hono carries such headers only into responses made by the Context's
 * helpers (c.json, c.body, c.html, c.text, c.redirect, c.newResponse); a route that built `new Response(…)` would
 * silently answer without them.
 */
describe("responses of the API", () => {
  it("are built by the Context's helpers: no route or middleware constructs a Response itself", async () => {
    const offenders: string[] = [];
    for (const entry of await readdir(SRC, { recursive: true })) {
      if (!entry.endsWith(".ts")) continue;
      const text = await readFile(join(SRC, entry), "utf8");
      for (const [index, line] of text.split("\n").entries()) {
        if (/\bnew Response\(/.test(line) && !ALLOWED.some((allowed) => entry.endsWith(allowed)))
          offenders.push(`src/${entry}:${index + 1}`);
      }
    }
    expect(offenders, "answer with c.json, c.body, … so the edge's headers reach the response").toEqual([]);
  });
});

/** Not an API response: Sentry's transport answers its own client when Sentry cannot be reached. */
const ALLOWED = ["kernel/sentry.ts"];
