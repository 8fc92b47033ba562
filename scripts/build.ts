/**
 * Production bundle, exactly what `wrangler deploy` would upload: `wrangler deploy --dry-run --outdir dist`
 * (minified), then its size raw and gzipped. `--env staging|production` picks the wrangler environment.
 */
import { spawnSync } from "node:child_process";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { offlineWranglerEnv } from "./lib/offline-env";

const PROJECT = resolve(import.meta.dirname, "..");
const OUT = resolve(PROJECT, "dist");
/** Cloudflare's limit for a Worker on the paid plan (gzip); the free plan allows 3 MiB. */
const GZIP_LIMIT_BYTES = 10 * 1024 * 1024;

const envIndex = process.argv.indexOf("--env");
const environment = envIndex >= 0 ? process.argv[envIndex + 1] : "production";

await rm(OUT, { recursive: true, force: true });
const result = spawnSync(
  resolve(PROJECT, "node_modules/.bin/wrangler"),
  ["deploy", "--dry-run", "--outdir", OUT, "--minify", "--env", environment ?? "production"],
  { cwd: PROJECT, env: offlineWranglerEnv(PROJECT), stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
);
if (result.status !== 0) {
  console.error(result.stdout);
  console.error(`wrangler deploy --dry-run failed (exit ${result.status})`);
  process.exit(1);
}

let raw = 0;
let gzip = 0;
for (const file of await readdir(OUT)) {
  if (!file.endsWith(".js") && !file.endsWith(".mjs") && !file.endsWith(".wasm")) continue;
  const content = await readFile(resolve(OUT, file));
  raw += (await stat(resolve(OUT, file))).size;
  gzip += gzipSync(content, { level: 9 }).length;
}
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(`bundle (${environment}): ${kib(raw)} raw, ${kib(gzip)} gzip → ${OUT}`);
if (gzip > GZIP_LIMIT_BYTES) {
  console.error(`bundle exceeds Cloudflare's ${kib(GZIP_LIMIT_BYTES)} gzip limit`);
  process.exit(1);
}
