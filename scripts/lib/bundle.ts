import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { parse } from "smol-toml";
import type { LocalStack } from "./local-stack";
import { offlineWranglerEnv } from "./offline-env";

const PROJECT = resolve(import.meta.dirname, "../..");

/**
 * The production bundle, exactly what `wrangler deploy` would upload for `environment` ("" = top level):
 * `wrangler deploy --dry-run --outdir <outDir> --minify`. Returns its size raw and gzipped.
 */
export async function buildBundle(
  outDir: string,
  environment: string,
  /** Another entry than wrangler.toml's `main`, bundled the same way (the bench's stage worker). */
  entry?: string,
  /** Readable output (the bench's CPU profile names functions and lines); production bundles are minified. */
  { minify = true }: { minify?: boolean } = {},
): Promise<{ rawBytes: number; gzipBytes: number }> {
  const result = spawnSync(
    resolve(PROJECT, "node_modules/.bin/wrangler"),
    ["deploy", ...(entry ? [entry] : []), "--dry-run", "--outdir", outDir, ...(minify ? ["--minify"] : []), "--env", environment],
    { cwd: PROJECT, env: offlineWranglerEnv(PROJECT), stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of await readdir(outDir)) {
    if (!/\.(m?js|wasm)$/.test(file)) continue;
    const content = await readFile(join(outDir, file));
    rawBytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { rawBytes, gzipBytes };
}

/**
 * Runs a built bundle in workerd with its Durable Object and KV bindings, against the local stack. Extra
 * workers (the bench's bare route) run in the same workerd and take the paths their routes name.
 */
export async function startBundle(options: {
  bundleDir: string;
  stack: LocalStack;
  /** From `generateLocalSecrets()`; the stack's demo PINs must be hashed with its pepper. */
  secrets: Record<string, string>;
  extraWorkers?: { name: string; scriptPath: string; routes: string[] }[];
  /** A second bundle of the app (the bench's stage worker, its main module), with the same bindings but no queues, serving `/stage/*`. */
  stagesScriptPath?: string;
  /** Opens workerd's DevTools inspector on this port (the bench's CPU profile). */
  inspectorPort?: number;
}): Promise<{ url: string; limiterCounts(key: string): Promise<{ windowSeconds: number; count: number }[]>; dispose(): Promise<void> }> {
  const {
    compatibility_date: compatibilityDate,
    compatibility_flags: compatibilityFlags,
    queues,
  } = parse(await readFile(resolve(PROJECT, "wrangler.toml"), "utf8")) as {
    compatibility_date: string;
    compatibility_flags: string[];
    queues: {
      producers: { binding: string; queue: string }[];
      consumers: { queue: string; max_batch_size: number; max_batch_timeout: number; max_retries: number; dead_letter_queue?: string }[];
    };
  };
  const app = (name: string, scriptPath: string, routes: string[]) => ({
    name,
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate,
    compatibilityFlags,
    durableObjects: { RATE_LIMITER: { className: "RateLimiter", useSQLite: true } },
    kvNamespaces: ["PERMISSIONS_KV"],
    bindings: {
      ENVIRONMENT: "development",
      DATABASE_URL: options.stack.workerDatabaseUrl,
      NEON_FETCH_ENDPOINT: options.stack.neon.url,
      ...options.secrets,
    },
    routes,
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      enableDevRegistry: false,
      ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
      // The Worker still writes its log line per request, as in production; nobody needs them printed here.
      handleStructuredLogs: () => {},
      workers: [
        {
          ...app("api", join(options.bundleDir, "index.js"), ["*/*"]),
          // The webhook queues, produced and consumed by the Worker as wrangler.toml declares them.
          queueProducers: Object.fromEntries(queues.producers.map((p) => [p.binding, { queueName: p.queue }])),
          queueConsumers: Object.fromEntries(
            queues.consumers.map((c) => [
              c.queue,
              {
                maxBatchSize: c.max_batch_size,
                maxBatchTimeout: c.max_batch_timeout,
                maxRetries: c.max_retries,
                ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
              },
            ]),
          ),
        },
        ...(options.stagesScriptPath ? [app("stages", options.stagesScriptPath, ["*/stage/*"])] : []),
        ...(options.extraWorkers ?? []).map((w) => ({ ...w, modules: true, modulesRoot: resolve(w.scriptPath, ".."), compatibilityDate })),
      ],
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const limiters = await mf.getDurableObjectNamespace("RATE_LIMITER", "api");
  return {
    url,
    /** What the RateLimiter object for `key` has counted, read from the object itself. */
    limiterCounts: async (key) => {
      const stub = limiters.get(limiters.idFromName(key)) as unknown as {
        counts(now: number): Promise<{ windowSeconds: number; count: number }[]>;
      };
      return stub.counts(Date.now());
    },
    dispose: () => mf.dispose(),
  };
}
