import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, GLOBEX } from "../../scripts/lib/seed-data";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { asBeforeSealing, bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type World = Awaited<ReturnType<typeof ledgerWorld>>;
const emma = people.emma;
const MEDICAL = "Chemotherapy #c0nf1dent1al";
const erase = (w: World, token: string, employeeId: string) => w.api.postJson(`/v1/employees/${employeeId}/erasure`, {}, bearer(token));
const get = async <T>(w: World, token: string, path: string) => {
  const res = await w.api.send(path, { headers: bearer(token) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};

describe("erasure of an employee's data", () => {
  it("shreds their confidential fields, pseudonymizes them, ends every session for good; balances and the audit chains still add up", async () => {
    const w = await ledgerWorld({ assign: [emma.employeeId] });
    const note = await w.post(`/v1/employees/${emma.employeeId}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "grant",
      amount: 10,
      effective_date: "2027-01-04",
      note: `${MEDICAL} (note)`,
    });
    expect(note.status).toBe(201);
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    expect((await w.post(`/v1/requests/${request.id}/reject`, w.tokens.mike, { comment: `${MEDICAL} (comment)` })).status).toBe(200);
    const balanceBefore = await w.balance(w.tokens.hana, emma.employeeId);

    const res = await erase(w, w.tokens.sam, emma.employeeId);
    expect(res.status, await res.clone().text()).toBe(200);
    const erasure = (await res.json()) as Record<string, unknown>;
    expect(erasure).toEqual({
      employee_id: emma.employeeId,
      user_id: emma.userId,
      erased_at: expect.any(String),
      data_keys_destroyed: 1,
      unsealed_fields_erased: 0,
      api_keys_revoked: 0,
      audit_rows_erased: expect.any(Number),
    });
    expect(erasure.audit_rows_erased).toBeGreaterThan(0);

    // Every session and credential ends at once, for good.
    await expectError(await w.api.send("/v1/me", { headers: bearer(w.tokens.emma) }), 401, "UNAUTHORIZED");
    expect((await w.api.login(emma.email, DEMO_PASSWORD, "198.51.100.77")).status).toBe(401);
    const [user] = (await superuserSql()`select u.status, u.email, u.display_name, u.external_subject, e.employee_number, e.time_zone,
      (select count(*)::int from credentials c where c.user_id = u.id) as credentials,
      (select count(*)::int from refresh_tokens r where r.user_id = u.id and r.revoked_at is null) as live_tokens
      from users u join employees e on e.user_id = u.id where u.id = ${emma.userId}`) as Record<string, unknown>[];
    expect(user).toEqual({
      status: "erased",
      email: `erased-${emma.userId}@erased.invalid`,
      display_name: "Erased employee",
      external_subject: null,
      employee_number: `erased-${emma.employeeId}`,
      time_zone: "UTC",
      credentials: 0,
      live_tokens: 0,
    });

    // What was sealed for her is unreadable everywhere; the ledger's amounts and dates stay.
    const read = await get<{ reason: unknown; approvals: { comment: unknown }[] }>(w, w.tokens.hana, `/v1/requests/${request.id}`);
    expect(read.reason).toBeNull();
    expect(read.approvals.map((a) => a.comment)).toEqual([null]);
    const entries = await get<{ data: { kind: string; note: unknown }[] }>(
      w,
      w.tokens.hana,
      `/v1/ledger-entries?employee_id=${emma.employeeId}`,
    );
    expect(entries.data.find((e) => e.kind === "grant")?.note).toBeNull();
    expect(await w.balance(w.tokens.hana, emma.employeeId)).toEqual(balanceBefore);
    const keys =
      await superuserSql()`select wrapped, destroyed_at is not null as destroyed from data_keys where employee_id = ${emma.employeeId}`;
    expect(keys).toEqual([{ wrapped: null, destroyed: true }]);

    // Audit rows by or about her until then keep what happened, not where from; the chains still verify.
    const personal = (await superuserSql()`select count(*)::int as n from audit_log
      where (actor_id = ${emma.userId} or target_id in (${emma.userId}, ${emma.employeeId}))
        and id < (select id from audit_log where action = 'employee.erase') and (ip is not null or user_agent is not null or personal_details is not null)`) as {
      n: number;
    }[];
    expect(personal[0]!.n).toBe(0);
    const verification = await get<{ valid: boolean }>(w, w.tokens.ada, "/v1/audit/verification");
    expect(verification.valid).toBe(true);
    const [audit] = (await superuserSql()`select actor_id, details from audit_log where action = 'employee.erase'`) as {
      actor_id: string;
      details: Record<string, unknown>;
    }[];
    expect(audit).toEqual({ actor_id: people.sam.userId, details: expect.objectContaining({ data_keys_destroyed: 1 }) });

    // Nothing new is sealed for her, in any year; a repeat erases nothing more and answers the first time.
    const grant = (year: number) =>
      w.post(`/v1/employees/${emma.employeeId}/ledger-entries`, w.tokens.hana, {
        policy_key: w.policyKey,
        kind: "grant",
        amount: 1,
        effective_date: `${year}-02-01`,
        note: "after erasure",
      });
    await expectError(await grant(2027), 403, "FORBIDDEN");
    await expectError(await grant(2031), 403, "FORBIDDEN");
    // Her balance can still be corrected, without a note.
    const correction = await w.post(`/v1/employees/${emma.employeeId}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "adjustment",
      amount: -1,
      effective_date: "2027-02-01",
    });
    expect(correction.status, await correction.clone().text()).toBe(201);
    expect(((await correction.json()) as { note: unknown }).note).toBeNull();
    await expectError(await w.api.postJson(`/v1/users/${emma.userId}/deactivate`, {}, bearer(w.tokens.sam)), 409, "CONFLICT");
    const again = await erase(w, w.tokens.sam, emma.employeeId);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...erasure, data_keys_destroyed: 0, audit_rows_erased: expect.any(Number) });
  });

  it("of a System Admin, by another one: their API keys stop at once", async () => {
    const w = await ledgerWorld();
    const created = await w.api.postJson("/v1/api-keys", { name: "payroll", role: "hr_admin" }, bearer(w.tokens.sam));
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect((await w.api.send("/v1/me/permissions", { headers: bearer(key) })).status).toBe(200);
    expect((await w.api.postJson(`/v1/users/${people.hana.userId}/roles`, { role: "system_admin" }, bearer(w.tokens.sam))).status).toBe(
      200,
    );

    const res = await erase(w, w.tokens.hana, people.sam.employeeId);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { api_keys_revoked: number }).api_keys_revoked).toBe(1);
    await expectError(await w.api.send("/v1/me/permissions", { headers: bearer(key) }), 401, "UNAUTHORIZED");
    await expectError(await w.api.send("/v1/me", { headers: bearer(w.tokens.sam) }), 401, "UNAUTHORIZED");
  });

  it("is refused to anyone but a System Admin, for oneself, and for an employee the caller cannot see; nothing changes", async () => {
    const w = await ledgerWorld();
    const before = await superuserSql()`select id, status, email from users order by id`;
    await expectError(await erase(w, w.tokens.hana, emma.employeeId), 403, "FORBIDDEN");
    await expectError(await erase(w, w.tokens.mike, emma.employeeId), 403, "FORBIDDEN");
    await expectError(await erase(w, w.tokens.ada, emma.employeeId), 403, "FORBIDDEN");
    await expectError(await erase(w, w.tokens.sam, people.sam.employeeId), 409, "CONFLICT");
    await expectError(await erase(w, w.tokens.sam, people.gina.employeeId), 404, "RESOURCE_NOT_FOUND");
    await expectError(await erase(w, w.tokens.sam, "00000000-0000-4000-8000-00000000dead"), 404, "RESOURCE_NOT_FOUND");
    await expectError(await erase(w, w.tokens.sam, "not-a-uuid"), 400, "VALIDATION_FAILED");
    expect(await superuserSql()`select id, status, email from users order by id`).toEqual(before);
    expect(GLOBEX.people.some((p) => p.employeeId === people.gina.employeeId)).toBe(true);
  });

  it("sets to null what was written before sealed fields existed; otherwise comments and notes stay append-only, even to the owner", async () => {
    const w = await ledgerWorld({ assign: [emma.employeeId], grant: 10 });
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05" });
    expect((await w.post(`/v1/requests/${request.id}/approve`, w.tokens.mike, {})).status).toBe(200);
    await asBeforeSealing(request.id, emma.employeeId);
    const refused = await superuserSql()`update approvals set comment = null, decision = 'reject' where request_id = ${request.id}`.then(
      () => null,
      (e: Error) => e,
    );
    expect(String(refused)).toContain("approvals is append-only");

    const res = await erase(w, w.tokens.sam, emma.employeeId);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { unsealed_fields_erased: number }).unsealed_fields_erased).toBe(3);
    const [left] = (await superuserSql()`select
      (select reason from leave_requests where id = ${request.id}) as reason,
      (select comment from approvals where request_id = ${request.id}) as comment,
      (select count(*)::int from ledger_entries where employee_id = ${emma.employeeId} and note is not null) as notes`) as Record<
      string,
      unknown
    >[];
    expect(left).toEqual({ reason: null, comment: null, notes: 0 });
  });
});
