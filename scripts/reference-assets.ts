/**
 * Copies Scalar's self-contained API reference bundle from node_modules into the Worker's static assets
 * (src/features/docs/public, served by wrangler's [assets]), so /docs works offline and without a CDN.
 * Runs after every `npm install` / `npm ci` (postinstall); the copy is not committed.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";

const PROJECT = resolve(import.meta.dirname, "..");
const SOURCE = resolve(PROJECT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const REFERENCE_BUNDLE = resolve(PROJECT, "src/features/docs/public/docs/assets/scalar.js");

await mkdir(dirname(REFERENCE_BUNDLE), { recursive: true });
await copyFile(SOURCE, REFERENCE_BUNDLE);
