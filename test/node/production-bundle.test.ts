/**
 * The artifact that gets deployed, not the sources vitest compiles: the minified `wrangler deploy --dry-run`
 * bundle boots in workerd and serves health, a database read, the OpenAPI document and the reference page.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, startBundle } from "../../scripts/lib/bundle";
import { generateLocalSecrets } from "../../scripts/lib/local-secrets";
import { type LocalStack, startLocalStack } from "../../scripts/lib/local-stack";

let work: string;
let stack: LocalStack;
let worker: { url: string; dispose(): Promise<void> };
let size: { rawBytes: number; gzipBytes: number };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "leave-ledger-bundle-"));
  await chmod(work, 0o755);
  size = await buildBundle(join(work, "dist"), "production");
  const secrets = await generateLocalSecrets();
  stack = await startLocalStack({
    dataDir: join(work, "postgres"),
    persistent: false,
    claimsKey: secrets.DB_CLAIMS_KEY!,
    seed: { pinPepper: secrets.PIN_PEPPER!, dataKek: secrets.DATA_KEK! },
  });
  worker = await startBundle({ bundleDir: join(work, "dist"), stack, secrets });
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("the production bundle", () => {
  it("is minified and well under Cloudflare's size limit", () => {
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(1024 * 1024); // free plan: 3 MiB; we want headroom for cold starts
  });

  it("serves /health, is ready, reads the database, and serves the OpenAPI document and its reference page", async () => {
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await (await fetch(`${worker.url}/v1/tenants/acme`)).json()).toMatchObject({ slug: "acme" });
    const document = (await (await fetch(`${worker.url}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain("/v1/tenants/{slug}");
    const docs = await fetch(`${worker.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<script src="/docs/assets/scalar.js"></script>');
  });
});
