/**
 * The API's contract as files tools can use.
 *
 *   tsx scripts/openapi.ts write   writes .data/openapi.json and regenerates the committed client types
 *                                  (test/support/node/api-schema.ts) with openapi-typescript
 *   tsx scripts/openapi.ts check   writes .data/openapi.json (for `redocly lint`) and fails when the committed
 *                                  types differ from what the document generates now
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

const PROJECT = resolve(import.meta.dirname, "..");
export const DOCUMENT_FILE = resolve(PROJECT, ".data/openapi.json");
export const TYPES_FILE = resolve(PROJECT, "test/support/node/api-schema.ts");
const HEADER = "// Generated from the OpenAPI document by `npm run openapi` (openapi-typescript). Do not edit.\n\n";

// src/ is typed for workerd, this script for Node: it loads the two functions it needs without their types.
const APP = "../src/app.ts";
const DOCUMENT = "../src/features/docs/document.ts";
const { createApp } = (await import(APP)) as { createApp: () => unknown };
const { openApiDocument } = (await import(DOCUMENT)) as { openApiDocument: (app: unknown) => OpenAPI3 };
const document = openApiDocument(createApp());
const types = HEADER + astToString(await openapiTS(document, { alphabetize: true, defaultNonNullable: false }));

await mkdir(resolve(PROJECT, ".data"), { recursive: true });
await writeFile(DOCUMENT_FILE, `${JSON.stringify(document, null, 2)}\n`);

const mode = process.argv[2] ?? "write";
if (mode === "write") {
  await writeFile(TYPES_FILE, types);
  console.log(`wrote ${DOCUMENT_FILE} and ${TYPES_FILE}`);
} else if (mode === "check") {
  const committed = await readFile(TYPES_FILE, "utf8").catch(() => "");
  if (committed !== types) {
    console.error(`${TYPES_FILE} is not what the OpenAPI document generates: run npm run openapi and commit the result.`);
    process.exit(1);
  }
  console.log(`client types match the document; document written to ${DOCUMENT_FILE}`);
} else {
  console.error("usage: tsx scripts/openapi.ts write | check");
  process.exit(2);
}
