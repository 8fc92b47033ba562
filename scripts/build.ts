/**
 * `npm run build [-- --env staging|production]`: the production bundle in dist/ (what `wrangler deploy` would
 * upload, minified) and its size raw and gzipped.
 */
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { buildBundle } from "./lib/bundle";

const OUT = resolve(import.meta.dirname, "../dist");
/** Cloudflare's limit for a Worker on the paid plan (gzip); the free plan allows 3 MiB. */
const GZIP_LIMIT_BYTES = 10 * 1024 * 1024;

const envIndex = process.argv.indexOf("--env");
const environment = envIndex >= 0 ? (process.argv[envIndex + 1] ?? "production") : "production";
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

try {
  await rm(OUT, { recursive: true, force: true });
  const { rawBytes, gzipBytes } = await buildBundle(OUT, environment);
  console.log(`bundle (${environment}): ${kib(rawBytes)} raw, ${kib(gzipBytes)} gzip → ${OUT}`);
  if (gzipBytes > GZIP_LIMIT_BYTES) throw new Error(`bundle exceeds Cloudflare's ${kib(GZIP_LIMIT_BYTES)} gzip limit`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
