/**
 * Approval delegations: a manager hands their approvals to a colleague for a window; the delegate sees, decides
 * and comments on the manager's reports' requests while it runs (never their own), decisions say so, and it ends
 * by itself or when revoked — on the delegate's very next request. The test clock starts on Tuesday 2026-11-24.
 */
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { runInDatabase } from "../../src/db/door";
import type { ErrorCode } from "../../src/kernel/errors";
import { TestClock } from "../support/worker/auth";
import { as, dbConfig, people } from "../support/worker/callers";
import { expectError, rejectionOf, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const { mike, eli, emma, hana } = people;
const HOUR = 3_600_000;
type World = Awaited<ReturnType<typeof ledgerWorld>>;
interface DelegationView {
  id: string;
  delegator_id: string;
  delegator_name: string;
  delegate_id: string;
  delegate_name: string;
  status: string;
  created_by: string;
  revoked_at: string | null;
}

const at = (ms: number) => new Date(ms).toISOString();
const delegate = (w: World, body: Record<string, unknown>, token = w.tokens.mike) => w.api.postJson("/v1/delegations", body, bearer(token));
const delegated = async (w: World, body: Record<string, unknown>, token = w.tokens.mike) => {
  const res = await delegate(w, body, token);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as DelegationView;
};
const inbox = (w: World, token: string) => w.api.send("/v1/approvals", { headers: bearer(token) });
const inboxIds = async (w: World, token: string) => {
  const res = await inbox(w, token);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: { id: string }[] }).data.map((r) => r.id);
};
const revoke = (w: World, id: string, token: string) => w.api.send(`/v1/delegations/${id}`, { method: "DELETE", headers: bearer(token) });

describe("approval delegations", () => {
  it("the delegate decides the manager's reports' requests while it runs, never their own, each decision saying so; it ends by itself", async () => {
    const clock = new TestClock(TUESDAY_NOON);
    const w = await ledgerWorld({ clock, grant: 10 });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", reason: "dentist" });
    const elis = await w.submitted(w.tokens.eli, { start_date: "2026-12-08", end_date: "2026-12-08" });
    // Eli is an employee: without a delegation he decides nothing and sees no one else's requests.
    await expectError(await inbox(w, w.tokens.eli), 403, "FORBIDDEN");
    await expectError(await w.decide(w.tokens.eli, emmas.id, "approve"), 403, "FORBIDDEN");
    await expectError(await w.api.send(`/v1/requests/${emmas.id}`, { headers: bearer(w.tokens.eli) }), 404, "RESOURCE_NOT_FOUND");

    // Mike is away for two hours and hands his approvals to Eli.
    const delegation = await delegated(w, { delegate_id: eli.employeeId, ends_at: at(TUESDAY_NOON + 2 * HOUR) });
    expect(delegation).toMatchObject({
      delegator_id: mike.employeeId,
      delegator_name: "Mike Manager",
      delegate_id: eli.employeeId,
      delegate_name: "Eli Employee",
      status: "running",
      created_by: mike.userId,
      revoked_at: null,
    });

    // Eli's very next request (same token) acts for Mike: Emma's request, not his own.
    expect(await inboxIds(w, w.tokens.eli)).toEqual([emmas.id]);
    const seen = await w.api.send(`/v1/requests/${emmas.id}`, { headers: bearer(w.tokens.eli) });
    expect(await seen.json()).toMatchObject({ reason: "dentist" });
    await expectError(await w.decide(w.tokens.eli, elis.id, "approve"), 403, "FORBIDDEN");
    const commented = await w.post(`/v1/requests/${emmas.id}/comments`, w.tokens.eli, { body: "Approved while Mike is out" });
    expect(commented.status, await commented.clone().text()).toBe(201);

    const approved = await w.decide(w.tokens.eli, emmas.id, "approve");
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({
      status: "approved",
      approvals: [
        { approver_id: eli.userId, approver_name: "Eli Employee", on_behalf_of: mike.employeeId, on_behalf_of_name: "Mike Manager" },
      ],
    });
    const [audit] =
      (await superuserSql()`select actor_id, details from audit_log where action = 'request.approve' and target_id = ${emmas.id}`) as {
        actor_id: string;
        details: Record<string, unknown>;
      }[];
    expect(audit).toEqual({
      actor_id: eli.userId,
      details: { commented: false, delegation_id: delegation.id, on_behalf_of: mike.employeeId },
    });

    // Mike decides as ever, and his own decisions carry no delegation.
    const another = await w.submitted(w.tokens.emma, { start_date: "2026-12-09", end_date: "2026-12-09" });
    const later = await w.submitted(w.tokens.emma, { start_date: "2026-12-10", end_date: "2026-12-10" });
    expect(await (await w.decide(w.tokens.mike, another.id, "approve")).json()).toMatchObject({
      approvals: [{ approver_id: mike.userId, on_behalf_of: null, on_behalf_of_name: null }],
    });

    // Three hours on the delegation has ended by itself.
    clock.advance(3 * HOUR);
    await w.signInAgain();
    await expectError(await inbox(w, w.tokens.eli), 403, "FORBIDDEN");
    await expectError(await w.decide(w.tokens.eli, later.id, "approve"), 403, "FORBIDDEN");
    await expectError(await w.api.send(`/v1/requests/${later.id}`, { headers: bearer(w.tokens.eli) }), 404, "RESOURCE_NOT_FOUND");
    const listed = await w.api.send("/v1/delegations", { headers: bearer(w.tokens.eli) });
    expect(await listed.json()).toMatchObject({ data: [{ id: delegation.id, status: "ended" }], total: 1 });
  });

  it("a scheduled delegation starts by itself; revoking one ends it on the delegate's very next request", async () => {
    const clock = new TestClock(TUESDAY_NOON);
    const w = await ledgerWorld({ clock, grant: 10 });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const delegation = await delegated(w, {
      delegate_id: eli.employeeId,
      starts_at: at(TUESDAY_NOON + HOUR),
      ends_at: at(TUESDAY_NOON + 48 * HOUR),
    });
    expect(delegation.status).toBe("scheduled");
    await expectError(await inbox(w, w.tokens.eli), 403, "FORBIDDEN");

    clock.advance(HOUR);
    await w.signInAgain();
    expect(await inboxIds(w, w.tokens.eli)).toEqual([emmas.id]);

    // The delegate may decline it; here Mike comes back early and ends it.
    const revoked = await revoke(w, delegation.id, w.tokens.mike);
    expect(revoked.status).toBe(200);
    const ended = (await revoked.json()) as DelegationView;
    expect(ended.status).toBe("revoked");
    expect(Date.parse(ended.revoked_at!)).toBe(TUESDAY_NOON + HOUR);
    await expectError(await inbox(w, w.tokens.eli), 403, "FORBIDDEN");
    await expectError(await w.decide(w.tokens.eli, emmas.id, "approve"), 403, "FORBIDDEN");
    // Ending it again answers it as it is, and writes nothing more.
    expect(await (await revoke(w, delegation.id, w.tokens.eli)).json()).toMatchObject({ status: "revoked" });
    const audit = (await superuserSql()`select action from audit_log where action like 'delegation.%' order by id`) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(["delegation.create", "delegation.revoke"]);
  });

  it("who may delegate whose approvals, and every bad input refused with nothing written", async () => {
    const w = await ledgerWorld();
    const ends = at(TUESDAY_NOON + 24 * HOUR);
    await expectError(await delegate(w, { delegate_id: eli.employeeId, ends_at: ends }, w.tokens.emma), 403, "FORBIDDEN");
    await expectError(await delegate(w, { delegate_id: eli.employeeId, ends_at: ends, delegator_id: hana.employeeId }), 403, "FORBIDDEN");
    const bad: [Record<string, unknown>, number, ErrorCode][] = [
      [{ delegate_id: mike.employeeId, ends_at: ends }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: eli.employeeId, ends_at: at(TUESDAY_NOON - HOUR) }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: eli.employeeId, starts_at: at(TUESDAY_NOON - 24 * HOUR), ends_at: ends }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: eli.employeeId, ends_at: at(TUESDAY_NOON + 400 * 24 * HOUR) }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: eli.employeeId, ends_at: "tomorrow" }, 400, "VALIDATION_FAILED"],
      // An offset Postgres refuses (beyond ±15:59) is bad input, not a database error.
      [{ delegate_id: eli.employeeId, ends_at: "2026-12-20T00:00:00+16:00" }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: eli.employeeId, ends_at: "10000-01-01T00:00:00Z" }, 400, "VALIDATION_FAILED"],
      [
        { delegate_id: eli.employeeId, starts_at: at(TUESDAY_NOON + 400 * 24 * HOUR), ends_at: at(TUESDAY_NOON + 401 * 24 * HOUR) },
        400,
        "VALIDATION_FAILED",
      ],
      [
        { delegate_id: eli.employeeId, starts_at: "9999-12-31T12:00:00-14:00", ends_at: "9999-12-31T23:59:59-14:00" },
        400,
        "VALIDATION_FAILED",
      ],
      // An Auditor only may not ask for leave, nor decide in anyone's place.
      [{ delegate_id: people.ada.employeeId, ends_at: ends }, 404, "RESOURCE_NOT_FOUND"],
      [{ delegate_id: eli.employeeId, ends_at: ends, extra: 1 }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: "not-a-uuid", ends_at: ends }, 400, "VALIDATION_FAILED"],
      [{ delegate_id: crypto.randomUUID(), ends_at: ends }, 404, "RESOURCE_NOT_FOUND"],
      [{ delegate_id: people.gina.employeeId, ends_at: ends }, 404, "RESOURCE_NOT_FOUND"],
    ];
    for (const [body, status, code] of bad) await expectError(await delegate(w, body), status, code);
    expect(await superuserSql()`select id from approval_delegations`).toEqual([]);

    // HR hands a manager's approvals to someone; the same two people never have overlapping windows.
    const byHr = await delegated(w, { delegate_id: eli.employeeId, ends_at: ends, delegator_id: mike.employeeId }, w.tokens.hana);
    expect(byHr).toMatchObject({ delegator_id: mike.employeeId, created_by: hana.userId });
    await expectError(await delegate(w, { delegate_id: eli.employeeId, ends_at: ends }), 409, "CONFLICT");
    await delegated(w, { delegate_id: emma.employeeId, ends_at: ends });

    // Who sees which: the two people involved, and the tenant's readers.
    const total = async (token: string, query = "") =>
      ((await (await w.api.send(`/v1/delegations${query}`, { headers: bearer(token) })).json()) as { total: number }).total;
    expect([await total(w.tokens.mike), await total(w.tokens.eli), await total(w.tokens.emma), await total(w.tokens.ada)]).toEqual([
      2, 1, 1, 2,
    ]);
    expect(await total(w.tokens.ada, "?status=scheduled")).toBe(0);
    await expectError(await w.api.send("/v1/delegations?status=soon", { headers: bearer(w.tokens.ada) }), 400, "VALIDATION_FAILED");
    // Someone else's delegation cannot be ended, or even found, by a colleague outside it.
    await expectError(await revoke(w, byHr.id, w.tokens.emma), 404, "RESOURCE_NOT_FOUND");
    await expectError(await revoke(w, crypto.randomUUID(), w.tokens.mike), 404, "RESOURCE_NOT_FOUND");
  });

  it("a delegate stands in for the manager: one decision between them, never on what the manager recorded, nothing once the manager is no approver", async () => {
    const w = await ledgerWorld({ grant: 10, policy: { approvals_required: 2, managers_may_record: true } });
    await delegated(w, { delegate_id: eli.employeeId, ends_at: at(TUESDAY_NOON + 24 * HOUR) });
    // Two approvals need two people: Mike and the one standing in for him are one.
    const first = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    expect((await w.decide(w.tokens.mike, first.id, "approve")).status).toBe(200);
    await expectError(await w.decide(w.tokens.eli, first.id, "approve"), 409, "CONFLICT");
    const second = await w.submitted(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08" });
    expect((await w.decide(w.tokens.eli, second.id, "approve")).status).toBe(200);
    await expectError(await w.decide(w.tokens.mike, second.id, "approve"), 409, "CONFLICT");
    expect(await (await w.decide(w.tokens.hana, second.id, "approve")).json()).toMatchObject({ status: "approved" });
    // What Mike recorded for Emma is decided by someone else than Mike or his stand-in (and not listed for Mike).
    const recorded = await w.post("/v1/requests", w.tokens.mike, {
      policy_key: w.policyKey,
      employee_id: emma.employeeId,
      start_date: "2026-12-09",
      end_date: "2026-12-09",
    });
    expect(recorded.status, await recorded.clone().text()).toBe(201);
    const recordedId = ((await recorded.json()) as { id: string }).id;
    expect(await inboxIds(w, w.tokens.mike)).not.toContain(recordedId);
    await expectError(await w.decide(w.tokens.eli, recordedId, "approve"), 403, "FORBIDDEN");

    // A manager who is no approver any more delegates nothing: Sam takes Mike's manager role away.
    const removed = await w.api.send(`/v1/users/${mike.userId}/roles/manager`, { method: "DELETE", headers: bearer(w.tokens.sam) });
    expect(removed.status, await removed.clone().text()).toBeLessThan(300);
    const third = await w.submitted(w.tokens.emma, { start_date: "2026-12-10", end_date: "2026-12-10" });
    await expectError(await w.decide(w.tokens.eli, third.id, "approve"), 403, "FORBIDDEN");
  });

  it("a manager who also audits decides nothing beyond their reports; a request of someone without a manager is HR's", async () => {
    const w = await ledgerWorld({ grant: 10 });
    const granted = await w.api.postJson(`/v1/users/${mike.userId}/roles`, { role: "auditor" }, bearer(w.tokens.sam));
    expect(granted.status, await granted.clone().text()).toBeLessThan(300);
    // Hana has no manager: Mike, now able to read the whole tenant, still may not decide her request.
    const hanas = await w.submitted(w.tokens.hana, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await expectError(await w.decide(w.tokens.mike, hanas.id, "approve"), 403, "FORBIDDEN");
    expect(await superuserSql()`select id from approvals where request_id = ${hanas.id}`).toEqual([]);
  });

  it("only the definer writes delegations, and acting for a manager comes only from signed claims", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const config = dbConfig();
    const forged = sql`insert into approval_delegations (tenant_id, delegator_id, delegate_id, starts_at, ends_at, created_by, created_at)
      select tenant_id, ${mike.employeeId}::uuid, ${eli.employeeId}::uuid, now(), now() + interval '1 day', ${mike.userId}::uuid, now() from employees limit 1`;
    expect((await rejectionOf(runInDatabase(config, as.mike, (db) => [db.execute(forged)]))).code).toBe("FORBIDDEN");
    const seen = (caller: typeof as.eli) =>
      runInDatabase(config, caller, (db) => [db.execute<{ id: string }>(sql`select id from leave_requests where id = ${emmas.id}`)], {
        readOnly: true,
      }).then(([r]) => r.rows.length);
    expect(await seen(as.eli)).toBe(0);
    // The Worker signs acting_for only for a delegation running now; signed, the policies follow it.
    const acting = { kind: "user" as const, claims: { ...(as.eli as { claims: object }).claims, acting_for: [mike.employeeId] } };
    expect(await seen(acting as typeof as.eli)).toBe(1);
  });
});
