/**
 * Feature flags and kill switches through Cloudflare Flagship's local flag store (the real binding, flipped through
 * its admin API as an operator's dashboard would): maintenance (writes 503, reads and sign-in work, readiness says
 * so), webhooks paused (nothing lost), the accrual job paused, PIN sign-in off; per-tenant targeting and percentage
 * rollouts; a switch takes effect within 10 s; an unreachable Flagship falls back to the last value, else the safe one.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ACME, DEMO_PIN, GLOBEX } from "../../scripts/lib/seed-data";
import { loadConfig } from "../../src/kernel/config";
import { FLAG_CACHE_MS } from "../../src/kernel/constants";
import type { WebhookMessage } from "../../src/kernel/env";
import { FLAGS, forgetFlags, isOn } from "../../src/kernel/flags";
import { runDailyWork } from "../../src/scheduler/daily";
import { onQueue } from "../../src/scheduler/webhook-queue";
import { authApp, TestClock } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import {
  captureLogs,
  expectError,
  harbor,
  recordingQueue,
  resetDatabase,
  resetEdgeState,
  superuserSql,
  testEnv,
} from "../support/worker/harness";
import { bearer, ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

interface FlagAdmin {
  putFlag(flag: Record<string, unknown>): Promise<unknown>;
  listFlags(): Promise<{ key: string }[]>;
  setAccountTag(tag: string): Promise<void>;
  deleteFlag(key: string): Promise<void>;
}
/** The local flag store's admin API: what `wrangler flagship flags … --local` and the dashboard do. */
const admin = () => (testEnv.FLAGS as unknown as Record<string, () => FlagAdmin>)["FlagshipBinding::admin_api"]!();

/**
 * A boolean flag served `on` to everyone, or only by its rules (each a list of conditions, or a rollout). The
 * isolate then forgets what it evaluated, as it does FLAG_CACHE_MS later (`forget: false` leaves that to the clock).
 */
async function setFlag(key: string, on: boolean, rules: Record<string, unknown>[] = [], { forget = true } = {}) {
  await admin().putFlag({ key, enabled: true, variations: { on: true, off: false }, default_variation: on ? "on" : "off", rules });
  if (forget) forgetFlags();
}
const forTenants = (...ids: string[]) => [
  { priority: 1, conditions: [{ attribute: "tenant_id", operator: "in", value: ids }], serve_variation: "on" },
];

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  forgetFlags();
});
afterEach(async () => {
  for (const flag of await admin().listFlags()) await admin().deleteFlag(flag.key);
  forgetFlags();
});

describe("the maintenance switch", () => {
  it("refuses writes with 503 and Retry-After, changing nothing; reads, sign-in and readiness keep working; off again within 10 s", async () => {
    const clock = new TestClock(TUESDAY_NOON);
    const w = await ledgerWorld({ grant: 10, clock });
    await setFlag(FLAGS.maintenance.key, true);
    const before = await superuserSql()`select count(*)::int as n from leave_requests`;

    const refused = await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect((await expectError(refused, 503, "SERVICE_UNAVAILABLE")).details).toEqual({ reason: "maintenance" });
    expect(await superuserSql()`select count(*)::int as n from leave_requests`).toEqual(before);
    expect((await w.api.send("/v1/me/balances", { headers: bearer(w.tokens.emma) })).status).toBe(200);
    // Only signing in and the session's own routes go on; other writes under /v1/auth wait too.
    await expectError(await w.api.postJson("/v1/auth/logout-all", {}, bearer(w.tokens.emma)), 503, "SERVICE_UNAVAILABLE");
    expect((await w.api.login(people.eli.email)).status).toBe(200);
    const ready = await w.api.send("/health/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", maintenance: true });

    // Switched off: this isolate keeps the value it evaluated for up to FLAG_CACHE_MS of its clock.
    await setFlag(FLAGS.maintenance.key, false, [], { forget: false });
    clock.advance(FLAG_CACHE_MS - 1_000);
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" }), 503, "SERVICE_UNAVAILABLE");
    clock.advance(1_000);
    expect((await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" })).status).toBe(201);
    expect(await (await w.api.send("/health/ready")).json()).toMatchObject({ maintenance: false });
  });
});

describe("per-tenant switches", () => {
  it("webhooks paused for one tenant: its deliveries wait in the database, untouched, and go once it is off; others flow", async () => {
    const { sent, queue } = recordingQueue();
    const w = await ledgerWorld({ grant: 10, bindings: { WEBHOOKS: queue } });
    await harbor.receiver("paused", { mode: "ok", clear: true });
    expect((await w.api.postJson("/v1/webhooks/subscriptions", { url: harbor.receiverUrl("paused") }, bearer(w.tokens.sam))).status).toBe(
      201,
    );
    await setFlag(FLAGS.webhooksPaused.key, false, forTenants(ACME.id));

    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect(sent).toEqual([]);
    const [delivery] = (await superuserSql()`select id, status, attempts from webhook_deliveries`) as {
      id: string;
      status: string;
      attempts: number;
    }[];
    expect(delivery).toMatchObject({ status: "pending", attempts: 0 });
    // A message already in the queue is acknowledged without an attempt.
    const batch = createMessageBatch<WebhookMessage>("leave-ledger-webhooks-dev", [
      { id: "m1", timestamp: Date.now(), attempts: 1, body: { tenant_id: ACME.id, delivery_id: delivery!.id } },
    ]);
    const ctx = createExecutionContext();
    await onQueue(batch as MessageBatch<unknown>, testEnv, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    expect(await superuserSql()`select status, attempts from webhook_deliveries`).toEqual([{ status: "pending", attempts: 0 }]);
    expect(await harbor.received("paused")).toEqual([]);
    expect(await isOn(testEnv.FLAGS, FLAGS.webhooksPaused, { tenantId: GLOBEX.id }, Date.now())).toBe(false);

    await admin().deleteFlag(FLAGS.webhooksPaused.key);
    forgetFlags();
    await w.submitted(w.tokens.eli, { start_date: "2026-12-09", end_date: "2026-12-09" });
    // The next write's dispatch sends what waited and what is new.
    const ids = (await superuserSql()`select id from webhook_deliveries`) as { id: string }[];
    expect(ids).toHaveLength(2);
    expect(sent.map((m) => m.delivery_id).sort()).toEqual(ids.map((r) => r.id).sort());
  });

  it("the accrual job paused for one tenant posts nothing there (and catches up once off); PIN sign-in off for one tenant", async () => {
    const loaded = loadConfig(testEnv);
    if (!loaded.ok) throw new Error("test configuration invalid");
    await setFlag(FLAGS.accrualJobPaused.key, false, forTenants(ACME.id));
    const logs = await captureLogs(() => runDailyWork(loaded.config, TUESDAY_NOON, { flags: testEnv.FLAGS }));
    const runs = logs.filter((l) => l.event === "scheduled_tenant_done");
    expect(runs.find((r) => r.tenant_id === ACME.id)).toMatchObject({ accruals_paused: true, accruals: 0, finished: false });
    expect(runs.find((r) => r.tenant_id === GLOBEX.id)).toMatchObject({ accruals_paused: false, finished: true });
    await admin().deleteFlag(FLAGS.accrualJobPaused.key);
    forgetFlags();
    const resumed = await runDailyWork(loaded.config, TUESDAY_NOON, { flags: testEnv.FLAGS });
    expect(resumed.find((r) => r.tenant_id === ACME.id)).toMatchObject({ accruals_paused: false, finished: true });

    await setFlag(FLAGS.pinLoginDisabled.key, false, [
      { priority: 1, conditions: [{ attribute: "tenant_slug", operator: "equals", value: "acme" }], serve_variation: "on" },
    ]);
    const api = authApp();
    const pin = (tenant: string, employeeNumber: string) =>
      api.postJson("/v1/auth/pin", { tenant, employee_number: employeeNumber, pin: DEMO_PIN }, { "CF-Connecting-IP": "198.51.100.77" });
    const refused = await pin("acme", people.emma.employeeNumber);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect((await expectError(refused, 503, "SERVICE_UNAVAILABLE")).details).toEqual({ reason: "pin sign-in switched off" });
    expect((await pin("globex", people.gus.employeeNumber)).status).toBe(200);
    expect((await api.login(people.emma.email)).status).toBe(200);
  });
});

describe("evaluation", () => {
  it("a percentage rollout buckets by tenant: the same tenant always gets the same answer, about half get it", async () => {
    await admin().setAccountTag("leave-ledger-test");
    await setFlag(FLAGS.maintenance.key, false, [
      { priority: 1, conditions: [], rollout: { percentage: 50, attribute: "tenant_id" }, serve_variation: "on" },
    ]);
    const tenants = Array.from({ length: 200 }, () => crypto.randomUUID());
    const first = await Promise.all(tenants.map((tenantId) => isOn(testEnv.FLAGS, FLAGS.maintenance, { tenantId }, 0)));
    forgetFlags();
    const again = await Promise.all(tenants.map((tenantId) => isOn(testEnv.FLAGS, FLAGS.maintenance, { tenantId }, 0)));
    expect(again).toEqual(first);
    const on = first.filter(Boolean).length;
    expect(on).toBeGreaterThan(60);
    expect(on).toBeLessThan(140);
  });

  it("an unreachable Flagship: the last value seen, else the safe one; a flag nobody defined is its safe value", async () => {
    const unreachable = {
      getBooleanDetails: async () => Promise.reject(new Error("Flagship unreachable (injected)")),
    } as unknown as Flagship;
    expect(await isOn(testEnv.FLAGS, FLAGS.maintenance, {}, 0)).toBe(false);
    await setFlag(FLAGS.maintenance.key, true);
    expect(await isOn(testEnv.FLAGS, FLAGS.maintenance, {}, FLAG_CACHE_MS)).toBe(true);
    const logs = await captureLogs(async () => {
      expect(await isOn(unreachable, FLAGS.maintenance, {}, 2 * FLAG_CACHE_MS)).toBe(true);
    });
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", event: "flag_unavailable", flag: "maintenance-mode" }));
    forgetFlags();
    expect(await isOn(unreachable, FLAGS.maintenance, {}, 0)).toBe(false);
    // A Flagship that never answers holds a request back FLAG_TIMEOUT_MS at most.
    const silent = { getBooleanDetails: () => new Promise(() => {}) } as unknown as Flagship;
    const started = Date.now();
    expect(await isOn(silent, FLAGS.pinLoginDisabled, { tenantSlug: "acme" }, 0)).toBe(false);
    expect(Date.now() - started).toBeLessThan(FLAG_CACHE_MS);
    expect(await isOn(undefined, FLAGS.pinLoginDisabled, {}, 0)).toBe(false);
  });
});
