/**
 * Webhook delivery: events reach a local receiver through Cloudflare Queues, signed (the reference library verifies
 * them), once per success and in order per subject; a failing or silent receiver gets retries with backoff, then
 * the dead-letter path, and its subject waits until a System Admin redelivers or skips; the minutely sweep resends
 * what lost its message. Receivers are the harbor's, on 127.0.0.1.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { ACME, GLOBEX } from "../../scripts/lib/seed-data";
import { type Caller, systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { EVENT_DATA, WebhookEvent } from "../../src/features/webhooks/schemas";
import worker from "../../src/index";
import { WEBHOOK_DELIVERY } from "../../src/kernel/constants";
import type { Env, WebhookMessage } from "../../src/kernel/env";
import { onQueue } from "../../src/scheduler/webhook-queue";
import { as, dbConfig, people } from "../support/worker/callers";
import {
  captureLogs,
  expectError,
  harbor,
  recordingQueue,
  rejectionOf,
  resetDatabase,
  resetEdgeState,
  superuserSql,
  testEnv,
} from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  failures: number;
  sequence: number;
  event_type: string;
}

async function deliveries(): Promise<Delivery[]> {
  return (await superuserSql()`select d.id, d.status, d.attempts, d.failures, d.sequence, e.type as event_type
    from webhook_deliveries d join outbox_events e on e.id = d.event_id order by d.subject, d.sequence`) as Delivery[];
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the consumer on `messages` as the queue would (attempt counts given), with a fixed random for the jitter. */
async function consume(
  messages: WebhookMessage[],
  bindings: Partial<Env> = {},
  options: { timeoutMs?: number; queue?: string; clock?: () => number } = {},
) {
  const batch = createMessageBatch<WebhookMessage>(
    options.queue ?? "leave-ledger-webhooks-dev",
    messages.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: Date.now(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await onQueue(batch as MessageBatch<unknown>, { ...testEnv, ...bindings }, ctx, {
    random: () => 1,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return getQueueResult(batch, ctx);
}

async function subscribe(w: Awaited<ReturnType<typeof ledgerWorld>>, receiver: string, eventTypes: string[] = []) {
  await harbor.receiver(receiver, { mode: "ok", clear: true });
  const res = await w.api.postJson(
    "/v1/webhooks/subscriptions",
    { url: harbor.receiverUrl(receiver), event_types: eventTypes },
    bearer(w.tokens.sam),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

describe("webhook delivery", () => {
  it("sends each event once, signed and in order, through the real queue", async () => {
    const w = await ledgerWorld({ grant: 10 });
    const all = await subscribe(w, "payroll");
    const approvals = await subscribe(w, "calendar", ["leave_request.approved"]);
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);

    const received = await until(
      "two deliveries",
      () => harbor.received("payroll"),
      (r) => r.length >= 2,
    );
    const calendar = await until(
      "one delivery",
      () => harbor.received("calendar"),
      (r) => r.length >= 1,
    );
    const verified = received.map((r) => new Webhook(all.secret).verify(r.body, r.headers) as Record<string, any>);
    expect(verified.map((e) => [e.type, e.sequence, e.subject, e.version, e.data.status])).toEqual([
      ["leave_request.submitted", 1, `leave_request:${request.id}`, 1, "pending"],
      ["leave_request.approved", 2, `leave_request:${request.id}`, 1, "approved"],
    ]);
    expect(received.map((r) => r.headers["webhook-id"])).toEqual(verified.map((e) => e.id));
    // The payloads are what the OpenAPI document's webhooks say.
    for (const event of verified) {
      expect(WebhookEvent.safeParse(event).error).toBeUndefined();
      expect(EVENT_DATA[event.type as keyof typeof EVENT_DATA].safeParse(event.data).error).toBeUndefined();
    }
    expect(received[0]!.headers["content-type"]).toBe("application/json");
    const [toCalendar] = calendar.map((r) => new Webhook(approvals.secret).verify(r.body, r.headers) as Record<string, any>);
    expect(toCalendar).toMatchObject({ type: "leave_request.approved", id: verified[1]!.id });
    // Signed with the other subscription's secret, it does not verify.
    expect(() => new Webhook(all.secret).verify(calendar[0]!.body, calendar[0]!.headers)).toThrow();

    const done = await until("all delivered", deliveries, (d) => d.every((x) => x.status === "delivered"));
    expect(done.map((d) => [d.event_type, d.attempts])).toEqual(
      expect.arrayContaining([
        ["leave_request.submitted", 1],
        ["leave_request.approved", 1],
      ]),
    );
    const log = await w.api.send(`/v1/webhooks/deliveries/${done[0]!.id}`, { headers: bearer(w.tokens.sam) });
    expect(log.status).toBe(200);
    expect(((await log.json()) as { attempt_log: { outcome: string; status_code: number }[] }).attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, outcome: "delivered", status_code: 204, error: null }),
    ]);
    // Nothing more arrives: one POST per event and subscription.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await harbor.received("payroll")).length).toBe(2);
  });

  it("retries a failing receiver with growing delays, dead-letters it, holds its subject, and resumes in order on redelivery", async () => {
    const queue = recordingQueue();
    const deadLetters = recordingQueue();
    const bindings = { WEBHOOKS: queue.queue, WEBHOOK_DEAD_LETTERS: deadLetters.queue };
    const w = await ledgerWorld({ grant: 10, bindings });
    const subscription = await subscribe(w, "flaky");
    await harbor.receiver("flaky", { mode: "fail" });
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    // The approval waits behind the submission: only the head of the subject was handed to the queue.
    expect(queue.sent).toHaveLength(1);
    const [first] = queue.sent.splice(0);

    // The consumer's clock stands still during an attempt and moves on to each retry's time; a repeat of the message
    // before then (a duplicate) is acknowledged without an attempt.
    let now = Date.now();
    const notBefore = async () =>
      (
        (await superuserSql()`select extract(epoch from not_before)::float8 * 1000 as at, extract(epoch from due_at)::float8 * 1000 as due
        from webhook_deliveries where id = ${first!.delivery_id}`) as [{ at: number; due: number }]
      )[0];
    const delays: number[] = [];
    for (let attempt = 1; attempt < WEBHOOK_DELIVERY.maxFailures; attempt++) {
      const result = await consume([first!], bindings, { clock: () => now });
      expect(result.retryMessages, `attempt ${attempt} is retried`).toHaveLength(1);
      const next = await notBefore();
      expect(next.due - next.at, "the sweep waits the redispatch margin longer").toBe(WEBHOOK_DELIVERY.redispatchSeconds * 1000);
      delays.push(Math.round((next.at - now) / 1000));
      const early = await consume([first!], bindings, { clock: () => next.at - 10_000 });
      expect(early.explicitAcks, "a duplicate during the backoff is acknowledged").toHaveLength(1);
      now = next.at;
    }
    // random() = 1: the top of each jittered range, 30 s doubling; the duplicates made no attempt.
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920]);
    const last = await consume([first!], bindings, { clock: () => now });
    expect(last.retryMessages).toEqual([]);
    expect(deadLetters.sent).toEqual([first]);
    const [submitted, approved] = await deliveries();
    expect(submitted).toMatchObject({ status: "dead", attempts: 8, failures: 8 });
    expect(approved).toMatchObject({ status: "pending", attempts: 0 });
    expect((await harbor.received("flaky")).length).toBe(8);

    // The approval's own message (a sweep, say) finds it waiting: no attempt.
    await consume([{ tenant_id: first!.tenant_id, delivery_id: approved!.id }], bindings);
    expect((await deliveries())[1]).toMatchObject({ status: "pending", attempts: 0 });
    const dead = await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}/deliveries?status=dead`, {
      headers: bearer(w.tokens.sam),
    });
    expect(((await dead.json()) as { data: { id: string; last_attempt: { outcome: string; status_code: number } }[] }).data).toEqual([
      expect.objectContaining({ id: submitted!.id, last_attempt: expect.objectContaining({ outcome: "failed", status_code: 500 }) }),
    ]);

    await harbor.receiver("flaky", { mode: "ok", clear: true });
    const redelivered = await w.post(`/v1/webhooks/deliveries/${submitted!.id}/redelivery`, w.tokens.sam, {});
    expect(redelivered.status, await redelivered.clone().text()).toBe(200);
    expect(await redelivered.json()).toEqual({ id: submitted!.id, status: "pending" });
    expect(queue.sent).toEqual([{ tenant_id: first!.tenant_id, delivery_id: submitted!.id }]);
    await consume(queue.sent.splice(0), bindings);
    // Its success hands the next event of the subject to the queue.
    expect(queue.sent).toEqual([{ tenant_id: first!.tenant_id, delivery_id: approved!.id }]);
    await consume(queue.sent.splice(0), bindings);
    const got = (await harbor.received("flaky")).map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(got).toEqual(["leave_request.submitted", "leave_request.approved"]);
    expect((await deliveries()).map((d) => [d.status, d.attempts])).toEqual([
      ["delivered", 9],
      ["delivered", 1],
    ]);
    const [audit] = (await superuserSql()`select action, actor_id, details from audit_log where action = 'webhook.redeliver'`) as {
      action: string;
      actor_id: string;
      details: Record<string, unknown>;
    }[];
    expect(audit).toMatchObject({ actor_id: people.sam.userId, details: { was: "dead" } });
  });

  it("a skipped dead delivery lets its subject go on; only a dead one can be skipped", async () => {
    const queue = recordingQueue();
    const bindings = { WEBHOOKS: queue.queue, WEBHOOK_DEAD_LETTERS: recordingQueue().queue };
    const w = await ledgerWorld({ grant: 10, bindings });
    await subscribe(w, "skipper");
    await harbor.receiver("skipper", { mode: "fail" });
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    const [first] = queue.sent.splice(0);
    let now = Date.now();
    for (let i = 0; i < WEBHOOK_DELIVERY.maxFailures; i++) {
      await consume([first!], bindings, { clock: () => now });
      now += WEBHOOK_DELIVERY.maxDelaySeconds * 1000; // past any backoff
    }
    const [submitted, approved] = await deliveries();
    await expectError(await w.post(`/v1/webhooks/deliveries/${approved!.id}/skip`, w.tokens.sam, {}), 409, "CONFLICT");
    await expectError(await w.post(`/v1/webhooks/deliveries/${submitted!.id}/skip`, w.tokens.hana, {}), 403, "FORBIDDEN");

    await harbor.receiver("skipper", { mode: "ok", clear: true });
    const skipped = await w.post(`/v1/webhooks/deliveries/${submitted!.id}/skip`, w.tokens.sam, {});
    expect(await skipped.json()).toEqual({ id: submitted!.id, status: "skipped" });
    expect(queue.sent).toEqual([{ tenant_id: first!.tenant_id, delivery_id: approved!.id }]);
    await consume(queue.sent.splice(0), bindings);
    expect((await harbor.received("skipper")).map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      "leave_request.approved",
    ]);
    await expectError(await w.post(`/v1/webhooks/deliveries/${approved!.id}/redelivery`, w.tokens.sam, {}), 409, "CONFLICT");
    // A skipped delivery stays skipped: sent now, it would arrive after the event that followed it.
    await expectError(await w.post(`/v1/webhooks/deliveries/${submitted!.id}/redelivery`, w.tokens.sam, {}), 409, "CONFLICT");
  });

  it("a receiver that never answers times out; a redirect is not followed; both count as failures", async () => {
    const queue = recordingQueue();
    const bindings = { WEBHOOKS: queue.queue };
    const w = await ledgerWorld({ grant: 10, bindings });
    await subscribe(w, "silent");
    await harbor.receiver("silent", { mode: "hang" });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    const hung = await consume(queue.sent.splice(0), bindings, { timeoutMs: 300 });
    expect(hung.retryMessages).toHaveLength(1);

    await harbor.receiver("silent", { mode: "redirect" });
    const [delivery] = await deliveries();
    const afterBackoff = Date.now() + WEBHOOK_DELIVERY.maxDelaySeconds * 1000;
    const redirected = await consume([{ tenant_id: ACME.id, delivery_id: delivery!.id }], bindings, { clock: () => afterBackoff });
    expect(redirected.retryMessages).toHaveLength(1);
    expect((await harbor.received("silent-elsewhere")).length).toBe(0);
    const attempts = (await superuserSql()`select attempt, outcome, status_code, error from webhook_attempts order by attempt`) as {
      attempt: number;
      outcome: string;
      status_code: number | null;
      error: string;
    }[];
    expect(attempts).toEqual([
      { attempt: 1, outcome: "timeout", status_code: null, error: "no answer within 300 ms" },
      { attempt: 2, outcome: "failed", status_code: 302, error: "answered 302" },
    ]);
    expect((await deliveries())[0]).toMatchObject({ status: "pending", failures: 2 });
  });

  it("the minutely sweep resends a delivery whose message was lost, once it is overdue", async () => {
    const lost = {
      send: async () => Promise.reject(new Error("queue unavailable (injected)")),
      sendBatch: async () => Promise.reject(new Error("queue unavailable (injected)")),
    } as unknown as Queue<WebhookMessage>;
    const w = await ledgerWorld({ grant: 10, bindings: { WEBHOOKS: lost } });
    await subscribe(w, "sweep");
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ status: "pending", attempts: 0 });

    const sweep = async (atMs: number) => {
      const queue = recordingQueue();
      const ctx = createExecutionContext();
      await worker.scheduled(
        createScheduledController({ scheduledTime: atMs, cron: "* * * * *" }),
        { ...testEnv, WEBHOOKS: queue.queue },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return queue.sent;
    };
    // Handed out (and lost) just now: not due again before the redispatch delay.
    expect(await sweep(Date.now() + 60_000)).toEqual([]);
    const resent = await sweep(Date.now() + (WEBHOOK_DELIVERY.redispatchSeconds + 60) * 1000);
    expect(resent).toEqual([{ tenant_id: ACME.id, delivery_id: delivery!.id }]);
    // Handed out once: the next sweep a minute later leaves it to its message.
    expect(await sweep(Date.now() + (WEBHOOK_DELIVERY.redispatchSeconds + 120) * 1000)).toEqual([]);
  });
});

describe("the consumer's edges", () => {
  /** A world with one subscription and one pending delivery (its message captured, not sent). */
  async function onePending(receiver: string) {
    const queue = recordingQueue();
    const w = await ledgerWorld({ grant: 10, bindings: { WEBHOOKS: queue.queue } });
    const subscription = await subscribe(w, receiver);
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect(queue.sent).toHaveLength(1);
    return { w, subscription, message: queue.sent[0]! };
  }

  it("the dead-letter queue's consumer alerts and changes nothing: a delivery still pending is the sweep's again", async () => {
    const { message } = await onePending("dlq");
    const logs = await captureLogs(async () => {
      const result = await consume([message], {}, { queue: "leave-ledger-webhooks-dev-dlq" });
      expect(result.explicitAcks).toHaveLength(1);
    });
    expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 0 });
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", event: "webhook_dead_lettered", ...message }));
    expect((await harbor.received("dlq")).length).toBe(0);
  });

  it("a malformed message is dropped with an error log; a database outage retries the message and changes nothing", async () => {
    const { message } = await onePending("outage");
    const malformed = { tenant_id: "acme", delivery_id: "'; drop table webhook_deliveries; --" } as unknown as WebhookMessage;
    const logs = await captureLogs(async () => {
      const result = await consume([malformed]);
      expect(result.explicitAcks).toHaveLength(1);
    });
    expect(logs).toContainEqual(expect.objectContaining({ event: "webhook_message_malformed" }));

    await harbor.gate("closed");
    try {
      const outage = await captureLogs(async () => {
        const result = await consume([message], { DATABASE_URL: inject("gatedDatabaseUrl") });
        expect(result.retryMessages).toHaveLength(1);
      });
      expect(outage).toContainEqual(
        expect.objectContaining({ level: "error", event: "webhook_message_failed", delivery_id: message.delivery_id }),
      );
    } finally {
      await harbor.gate("open");
    }
    expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 0 });
    expect((await harbor.received("outage")).length).toBe(0);
  });

  it("a disabled subscription gets nothing until enabled again; a deleted one takes its deliveries with it", async () => {
    const { w, subscription, message } = await onePending("paused");
    expect(
      (
        await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}`, {
          method: "PATCH",
          headers: { ...bearer(w.tokens.sam), "Content-Type": "application/json" },
          body: JSON.stringify({ enabled: false }),
        })
      ).status,
    ).toBe(200);
    await consume([message]);
    expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 0 });
    expect((await harbor.received("paused")).length).toBe(0);
    // Events while disabled are not queued for it at all.
    await w.submitted(w.tokens.eli, { start_date: "2026-12-09", end_date: "2026-12-09" });
    expect(await deliveries()).toHaveLength(1);

    const deleted = await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}`, { method: "DELETE", headers: bearer(w.tokens.sam) });
    expect(deleted.status).toBe(204);
    expect(await deliveries()).toEqual([]);
    await consume([message]);
    expect((await harbor.received("paused")).length).toBe(0);
  });

  it("the delivery endpoints refuse bad input and other people with the standard errors", async () => {
    const { w, subscription } = await onePending("api");
    const [delivery] = await deliveries();
    const sam = bearer(w.tokens.sam);
    await expectError(
      await w.api.send(`/v1/webhooks/subscriptions/${crypto.randomUUID()}/deliveries`, { headers: sam }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}/deliveries?status=lost`, { headers: sam }),
      400,
      "VALIDATION_FAILED",
    );
    const cursorOf = (...key: string[]) => btoa(JSON.stringify(key)).replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
    const foreign = cursorOf("requests", "2026-01-01T00:00:00Z", crypto.randomUUID());
    await expectError(
      await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}/deliveries?cursor=${foreign}`, { headers: sam }),
      400,
      "VALIDATION_FAILED",
    );
    // The right list, but an offset Postgres refuses; a good cursor of the list pages on.
    const farOffset = cursorOf("webhook_deliveries", "2026-01-01T00:00:00+23:00", crypto.randomUUID());
    const good = await w.api.send(
      `/v1/webhooks/subscriptions/${subscription.id}/deliveries?cursor=${cursorOf("webhook_deliveries", "2099-01-01T00:00:00+15:00", crypto.randomUUID())}`,
      { headers: sam },
    );
    expect(good.status).toBe(200);
    await expectError(
      await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}/deliveries?cursor=${farOffset}`, { headers: sam }),
      400,
      "VALIDATION_FAILED",
    );
    await expectError(await w.api.send(`/v1/webhooks/deliveries/${crypto.randomUUID()}`, { headers: sam }), 404, "RESOURCE_NOT_FOUND");
    await expectError(await w.api.send(`/v1/webhooks/deliveries/not-a-uuid`, { headers: sam }), 400, "VALIDATION_FAILED");
    await expectError(await w.api.send(`/v1/webhooks/deliveries/${delivery!.id}`, { headers: bearer(w.tokens.hana) }), 403, "FORBIDDEN");
    await expectError(await w.post(`/v1/webhooks/deliveries/${delivery!.id}/redelivery`, w.tokens.sam, {}), 409, "CONFLICT");
    await expectError(
      await w.post(`/v1/webhooks/deliveries/${crypto.randomUUID()}/redelivery`, w.tokens.sam, {}),
      404,
      "RESOURCE_NOT_FOUND",
    );

    const page = await w.api.send(`/v1/webhooks/subscriptions/${subscription.id}/deliveries?limit=1`, { headers: sam });
    expect(page.status).toBe(200);
    expect(await page.json()).toMatchObject({
      data: [{ id: delivery!.id, status: "pending", last_attempt: null }],
      pagination: { has_more: false },
    });
  });
});

describe("deliveries under row-level security", () => {
  const config = dbConfig();
  const gina = as.gina as Extract<Caller, { kind: "user" }>;
  const globexAdmin: Caller = { kind: "user", claims: { ...gina.claims, roles: ["system_admin"] } };

  it("only the tenant's System Admins read deliveries and attempts; nobody writes them or runs the sender's functions", async () => {
    const queue = recordingQueue();
    const w = await ledgerWorld({ grant: 10, bindings: { WEBHOOKS: queue.queue } });
    await subscribe(w, "rls");
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    await consume(queue.sent);
    const [delivery] = await deliveries();
    const count = async (caller: Caller, table: string) =>
      (await runInDatabase(config, caller, (db) => [db.execute(sql.raw(`select id from ${table}`))]))[0].rows.length;
    for (const table of ["webhook_deliveries", "webhook_attempts"]) {
      expect(await count(as.sam, table), table).toBe(1);
      expect(await count(as.hana, table), table).toBe(0);
      expect(await count(globexAdmin, table), table).toBe(0);
    }
    for (const statement of [
      sql`update webhook_deliveries set status = 'delivered'`,
      sql`delete from webhook_attempts`,
      sql`insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, outcome) values (${ACME.id}, ${delivery!.id}, 9, now(), 1, 'delivered')`,
      sql`select app.claim_webhook_delivery(${JSON.stringify({ delivery_id: delivery!.id, now: new Date().toISOString(), lease_seconds: 60 })}::jsonb)`,
      sql`select app.dispatch_webhooks('{"now":"2030-01-01T00:00:00Z","limit":10,"redispatch_seconds":1}'::jsonb)`,
      sql`select app.record_webhook_attempt(${JSON.stringify({ delivery_id: delivery!.id, attempt: 1, outcome: "delivered" })}::jsonb)`,
    ]) {
      expect((await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(statement)]))).code).toBe("FORBIDDEN");
    }
    // The sender's functions refuse other system callers, and a sender without a tenant claims nothing.
    const claim = sql`select app.claim_webhook_delivery(${JSON.stringify({ delivery_id: delivery!.id, now: new Date().toISOString(), lease_seconds: 60 })}::jsonb)`;
    for (const caller of [systemCaller("scheduler", ACME.id), systemCaller("webhooks")]) {
      expect((await rejectionOf(runInDatabase(config, caller, (db) => [db.execute(claim)]))).code).toBe("FORBIDDEN");
    }
    // Another tenant's sender finds nothing to claim.
    const [other] = await runInDatabase(config, systemCaller("webhooks", GLOBEX.id), (db) => [
      db.execute<{ out: { state: string } }>(sql`${claim} as out`),
    ]);
    expect(other.rows[0]!.out).toEqual({ state: "gone" });
    // Another tenant's System Admin cannot redeliver or skip it.
    const resolve = sql`select app.resolve_webhook_delivery(${JSON.stringify({ delivery_id: delivery!.id, action: "skip", now: new Date().toISOString(), facts: {} })}::jsonb)`;
    expect((await rejectionOf(runInDatabase(config, globexAdmin, (db) => [db.execute(resolve)]))).code).toBe("RESOURCE_NOT_FOUND");
    expect((await rejectionOf(runInDatabase(config, as.hana, (db) => [db.execute(resolve)]))).code).toBe("FORBIDDEN");
    expect((await deliveries())[0]).toMatchObject({ status: "delivered" });
  });
});

describe("order while an attempt is in flight", () => {
  const config = dbConfig();
  const sender = systemCaller("webhooks", ACME.id);
  const call = async <T>(fn: string, input: Record<string, unknown>): Promise<T> => {
    const [rows] = await runInDatabase(config, sender, (db) => [
      db.execute<{ out: T }>(sql`select ${sql.raw(`app.${fn}`)}(${JSON.stringify(input)}::jsonb) as out`),
    ]);
    return rows.rows[0]!.out;
  };
  const at = (ms: number) => new Date(ms).toISOString();

  it("a success of an attempt whose lease ran out keeps the newer attempt's lease: the next event waits until it is over", async () => {
    const queue = recordingQueue();
    const w = await ledgerWorld({ grant: 10, bindings: { WEBHOOKS: queue.queue } });
    await subscribe(w, "stale");
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    const [first, second] = await deliveries();
    const t = Date.now();
    const claim = (ms: number) =>
      call<{ state: string; attempt?: number }>("claim_webhook_delivery", { delivery_id: first!.id, now: at(ms), lease_seconds: 60 });
    expect(await claim(t)).toMatchObject({ state: "deliver", attempt: 1 });
    expect(await claim(t + 30_000)).toEqual({ state: "busy" });
    // Attempt 1 hangs past its lease; attempt 2 takes over; then attempt 1 answers: delivered.
    expect(await claim(t + 61_000)).toMatchObject({ state: "deliver", attempt: 2 });
    const recorded = await call<{ state: string; next: unknown[] }>("record_webhook_attempt", {
      delivery_id: first!.id,
      attempt: 1,
      started_at: at(t),
      duration_ms: 62_000,
      status_code: 204,
      outcome: "delivered",
      error: null,
      now: at(t + 62_000),
      retry_at: at(t + 92_000),
      max_failures: 8,
      redispatch_seconds: 300,
    });
    expect(recorded).toEqual({ state: "delivered", next: [] });
    const dispatch = (ms: number) =>
      call<{ messages: { delivery_id: string }[] }>("dispatch_webhooks", { now: at(ms), limit: 10, redispatch_seconds: 300 });
    expect((await dispatch(t + 63_000)).messages).toEqual([]);
    expect(await call("claim_webhook_delivery", { delivery_id: second!.id, now: at(t + 63_000), lease_seconds: 60 })).toEqual({
      state: "waiting",
    });
    // Once attempt 2's lease is over, the approval goes.
    expect((await dispatch(t + 122_000)).messages.map((m) => m.delivery_id)).toEqual([second!.id]);
  });
});
