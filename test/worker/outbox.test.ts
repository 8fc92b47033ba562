/**
 * The transactional outbox: every change a client cares about leaves exactly one domain event, written in the
 * same transaction (a refused or rolled-back change leaves none), numbered per subject, carrying no confidential
 * field. The test clock starts on Tuesday 2026-11-24.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVENT_DATA } from "../../src/features/webhooks/schemas";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, PTO, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

// Every event a test leaves carries exactly the data its type documents (the OpenAPI document's webhooks).
afterEach(async () => {
  for (const event of await events()) {
    const parsed = EVENT_DATA[event.type as keyof typeof EVENT_DATA].safeParse(event.data);
    expect(parsed.error?.issues, `${event.type} ${JSON.stringify(event.data)}`).toBeUndefined();
  }
});

const { emma, eli } = people;
interface OutboxEvent {
  type: string;
  subject: string;
  sequence: number;
  occurred_at: string;
  data: Record<string, unknown>;
}
const events = async (subject?: string) =>
  (await superuserSql()`select type, subject, sequence, occurred_at::text, data from outbox_events
    where ${subject ?? null}::text is null or subject = ${subject ?? null} order by subject, sequence`) as OutboxEvent[];

describe("domain events in the outbox", () => {
  it("a request's life is one event per change, in order, at the request's time, without its reason", async () => {
    const w = await ledgerWorld({ grant: 10 });
    const before = (await events()).length; // the grants
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08", reason: "family matters" });
    w.api.clock.advance(60_000);
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    expect((await w.api.postJson("/v1/holidays", { day: "2026-12-08", name: "Company day" }, bearer(w.tokens.hana))).status).toBe(201);
    expect((await w.cancel(w.tokens.emma, request.id)).status).toBe(200);

    const life = await events(`leave_request:${request.id}`);
    expect(life.map((e) => [e.sequence, e.type, e.data.status, e.data.days])).toEqual([
      [1, "leave_request.submitted", "pending", 2],
      [2, "leave_request.approved", "approved", 2],
      [3, "leave_request.corrected", "approved", 1],
      [4, "leave_request.cancelled", "cancelled", 1],
    ]);
    expect(Date.parse(life[0]!.occurred_at)).toBe(TUESDAY_NOON);
    expect(Date.parse(life[1]!.occurred_at)).toBe(TUESDAY_NOON + 60_000);
    expect(life[0]!.data).toEqual({
      request_id: request.id,
      employee_id: emma.employeeId,
      policy_key: w.policyKey,
      status: "pending",
      start_date: "2026-12-07",
      end_date: "2026-12-08",
      days: 2,
      amount: 2,
    });
    expect(JSON.stringify(await events())).not.toContain("family");
    expect((await events()).length).toBe(before + 4);
  });

  it("a refused change leaves no event; grants, adjustments and accrual runs leave theirs", async () => {
    const w = await ledgerWorld({ grant: 1, policy: { accrual: { period: "monthly", amount: 2 } }, startsOn: "2026-11-01" });
    const adjustments = await events();
    // One grant per assigned employee, each the first event of its balance; the assignment's accrual run too.
    expect(adjustments.filter((e) => e.type === "balance.adjusted").map((e) => e.sequence)).toEqual([1, 1, 1, 1]);
    expect(adjustments.filter((e) => e.type === "accrual_run.completed")).toHaveLength(1);

    const count = (await events()).length;
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-11" }), 422, "INSUFFICIENT_BALANCE");
    const request = await w.submitted(w.tokens.eli, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await expectError(await w.decide(w.tokens.eli, request.id, "approve"), 403, "FORBIDDEN");
    await expectError(await w.decide(w.tokens.emma, request.id, "approve"), 403, "FORBIDDEN");
    expect((await events()).length).toBe(count + 1);

    await w.grant(eli.employeeId, 2, "2026-11-30");
    const [balance] = (await superuserSql()`select id from ledger_accounts where employee_id = ${eli.employeeId}`) as [{ id: string }];
    expect((await events(`balance:${balance.id}`)).map((e) => [e.sequence, e.data.kind, e.data.amount])).toEqual([
      [1, "grant", 1],
      [2, "grant", 2],
    ]);
  });

  it("people and policies: created, updated (which fields, never their values), erased; a policy's versions", async () => {
    const w = await ledgerWorld();
    const patch = (body: unknown) =>
      w.api.send(`/v1/employees/${emma.employeeId}`, {
        method: "PATCH",
        headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await patch({ display_name: "Emma Weber", work_week: [1, 2, 3, 4] })).status).toBe(200);
    const emmas = await events(`employee:${emma.employeeId}`);
    expect(emmas.map((e) => [e.type, e.data])).toEqual([
      ["employee.created", { employee_id: emma.employeeId, user_id: emma.userId }],
      ["employee.updated", { employee_id: emma.employeeId, changed: ["work_week"] }],
      ["employee.updated", { employee_id: emma.employeeId, changed: ["display_name"] }],
    ]);
    expect(JSON.stringify(emmas)).not.toContain("Weber");

    const erased = await w.api.postJson(`/v1/employees/${eli.employeeId}/erasure`, {}, bearer(w.tokens.sam));
    expect(erased.status, await erased.clone().text()).toBe(200);
    expect((await events(`employee:${eli.employeeId}`)).map((e) => e.type)).toContain("employee.erased");

    const { key: _key, ...rules } = PTO;
    const revised = await w.post(`/v1/policies/${w.policyKey}/versions`, w.tokens.hana, {
      ...rules,
      effective_from: "2027-01-01",
      negative_allowance: 2,
    });
    expect(revised.status, await revised.clone().text()).toBe(201);
    expect((await events(`policy:${w.policyKey}`)).map((e) => [e.sequence, e.type, e.data.version])).toEqual([
      [1, "policy.changed", 1],
      [2, "policy.changed", 2],
    ]);
  });

  it("the year-end rollover and its reversal are each announced once, when their last chunk is done", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const run = async (body: Record<string, unknown>) => {
      const res = await w.post("/v1/rollovers", w.tokens.sam, { year: 2026, dry_run: false, limit: 2, ...body });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as { run_id: string; next_after: string | null };
    };
    let chunk = await run({});
    const runId = chunk.run_id;
    expect(await events(`ledger_run:${runId}`)).toEqual([]);
    while (chunk.next_after) chunk = await run({ run_id: runId, after: chunk.next_after });
    await run({ run_id: runId, after: chunk.next_after });
    expect((await events(`ledger_run:${runId}`)).map((e) => [e.type, e.data])).toEqual([
      ["rollover.completed", { run_id: runId, year: 2026 }],
    ]);

    // Reversed, chunk by chunk: announced once its last chunk is done, after the completion.
    let reversal: { reversal_run_id: string; done: boolean };
    do {
      const res = await w.post(`/v1/rollovers/${runId}/reversal`, w.tokens.sam, { limit: 3 });
      expect(res.status, await res.clone().text()).toBe(200);
      reversal = (await res.json()) as { reversal_run_id: string; done: boolean };
    } while (!reversal.done);
    await w.post(`/v1/rollovers/${runId}/reversal`, w.tokens.sam, { limit: 3 });
    expect((await events(`ledger_run:${runId}`)).map((e) => [e.sequence, e.type, e.data])).toEqual([
      [1, "rollover.completed", { run_id: runId, year: 2026 }],
      [2, "rollover.reversed", { run_id: runId, reversal_run_id: reversal.reversal_run_id, year: 2026 }],
    ]);
  });
});
