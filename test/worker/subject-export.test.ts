import { sql as drizzleSql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { ACME, DEMO_PASSWORD, DEMO_PIN } from "../../scripts/lib/seed-data";
import { runInDatabase } from "../../src/db/door";
import { SubjectExport } from "../../src/features/privacy/schemas";
import { as, dbConfig, people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";
import { userWithRoles } from "../support/worker/route-sweep";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type World = Awaited<ReturnType<typeof ledgerWorld>>;
type Export = ReturnType<typeof SubjectExport.parse>;
const emma = people.emma;
const MEDICAL = "IVF appointment #c0nf1dent1al";
const COMMENT = "Take care #c0nf1dent1al";
const NOTE = "Bonus for the audit weekend #c0nf1dent1al";

async function exportOf(w: World, token: string, path: string): Promise<Export> {
  const res = await w.api.send(path, { headers: bearer(token) });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="employee-[0-9a-f-]{36}-\d{4}-\d{2}-\d{2}\.json"$/);
  // The documented shape, strictly: a field the document does not declare fails here.
  return SubjectExport.strict().parse(JSON.parse(await res.text()));
}

/** Emma with a sealed note, a rejected request with a sealed reason and comment, and a pending one. */
async function emmasHistory() {
  const w = await ledgerWorld({ assign: [emma.employeeId] });
  const grant = await w.post(`/v1/employees/${emma.employeeId}/ledger-entries`, w.tokens.hana, {
    policy_key: w.policyKey,
    kind: "grant",
    amount: 10,
    effective_date: "2027-01-04",
    note: NOTE,
  });
  expect(grant.status).toBe(201);
  const rejected = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
  expect((await w.post(`/v1/requests/${rejected.id}/reject`, w.tokens.mike, { comment: COMMENT })).status).toBe(200);
  w.api.clock.advance(1_000);
  const pending = await w.submitted(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06" });
  return { w, rejected, pending };
}

const exportReads = async () =>
  (await superuserSql()`select actor_id, target_id, details from audit_log where action = 'confidential.read' and details ->> 'read' = 'export'`) as {
    actor_id: string;
    target_id: string;
  }[];

describe("the data subject's export", () => {
  it("holds everything about the caller, sealed fields opened, in the documented shape; one's own export is not logged as a read", async () => {
    const { w, rejected, pending } = await emmasHistory();
    const doc = await exportOf(w, w.tokens.emma, "/v1/me/export");

    expect(doc.format).toBe("leave-ledger.subject-export.v1");
    expect(doc.user).toMatchObject({ id: emma.userId, email: emma.email, status: "active", erased_at: null });
    expect(doc.employee).toMatchObject({ id: emma.employeeId, employee_number: emma.employeeNumber });
    expect(doc.tenant.slug).toBe("acme");
    expect(doc.roles).toEqual(["employee"]);
    expect(doc.policy_assignments.map((a) => a.policy_key)).toEqual([w.policyKey]);
    expect(doc.balances).toEqual([{ policy_key: w.policyKey, posted: 10, pending: 1 }]);
    expect(doc.sessions.length).toBeGreaterThan(0);
    expect(doc.api_keys).toEqual([]);
    expect(doc.ledger_entries.find((e) => e.kind === "grant")?.note).toBe(NOTE);
    expect(doc.leave_requests.map((r) => [r.id, r.reason, r.approvals.map((a) => a.comment)])).toEqual([
      [rejected.id, MEDICAL, [COMMENT]],
      [pending.id, null, []],
    ]);
    expect(doc.approvals_given).toEqual([]);
    const actions = doc.audit.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["auth.login", "ledger.grant", "request.submit", "request.reject"]));
    expect(doc.audit.map((a) => a.id)).toEqual([...doc.audit.map((a) => a.id)].sort((a, b) => a - b));
    expect(await exportReads()).toEqual([]);

    // What Mike wrote on Emma's request is in his export, opened with her key.
    const mikes = await exportOf(w, w.tokens.mike, "/v1/me/export");
    expect(mikes.approvals_given.map((a) => [a.request_id, a.employee_id, a.decision, a.comment])).toEqual([
      [rejected.id, emma.employeeId, "reject", COMMENT],
    ]);
  });

  it("HR exports one employee, logged as a read of their data; nobody else may, nor across tenants, nor from a kiosk", async () => {
    const { w } = await emmasHistory();
    const doc = await exportOf(w, w.tokens.hana, `/v1/employees/${emma.employeeId}/export`);
    expect(doc.leave_requests[0]?.reason).toBe(MEDICAL);
    expect(await exportReads()).toEqual([{ actor_id: people.hana.userId, target_id: emma.employeeId, details: { read: "export" } }]);

    await expectError(await w.api.send(`/v1/employees/${emma.employeeId}/export`, { headers: bearer(w.tokens.mike) }), 403, "FORBIDDEN");
    await expectError(await w.api.send(`/v1/employees/${emma.employeeId}/export`, { headers: bearer(w.tokens.ada) }), 403, "FORBIDDEN");
    await expectError(
      await w.api.send(`/v1/employees/${people.gina.employeeId}/export`, { headers: bearer(w.tokens.hana) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await w.api.send("/v1/employees/00000000-0000-4000-8000-00000000dead/export", { headers: bearer(w.tokens.sam) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    const pin = await w.api.postJson(
      "/v1/auth/pin",
      { tenant: "acme", employee_number: emma.employeeNumber, pin: DEMO_PIN },
      {
        "CF-Connecting-IP": "203.0.113.77",
      },
    );
    const kiosk = ((await pin.json()) as { access_token: string }).access_token;
    await expectError(await w.api.send("/v1/me/export", { headers: bearer(kiosk) }), 403, "FORBIDDEN");
    // HR does not export a System Admin (their sessions and keys), and no machine credential exports anyone.
    await expectError(
      await w.api.send(`/v1/employees/${people.sam.employeeId}/export`, { headers: bearer(w.tokens.hana) }),
      403,
      "FORBIDDEN",
    );
    const created = await w.api.postJson("/v1/api-keys", { name: "hr sync", role: "hr_admin" }, bearer(w.tokens.sam));
    const { key } = (await created.json()) as { key: string };
    await expectError(await w.api.send(`/v1/employees/${emma.employeeId}/export`, { headers: bearer(key) }), 403, "FORBIDDEN");
    expect(await exportReads()).toHaveLength(1);

    // A user without an employee record has nothing to export: 404, not a failure.
    const auditor = await userWithRoles(ACME, ["auditor"], { employee: false });
    const login = await w.api.login(auditor.email, DEMO_PASSWORD, "198.51.100.90");
    const token = ((await login.json()) as { access_token: string }).access_token;
    await expectError(await w.api.send("/v1/me/export", { headers: bearer(token) }), 404, "RESOURCE_NOT_FOUND");
  });

  it("shows another person's IP, user agent and personal details on audit rows about the subject as null", async () => {
    const { w, rejected } = await emmasHistory();
    await w.api.send(`/v1/requests/${rejected.id}`, { headers: bearer(w.tokens.hana) }); // HR reads Emma's reason: logged
    const doc = await exportOf(w, w.tokens.emma, "/v1/me/export");
    const byOthers = doc.audit.filter((a) => a.actor_id !== emma.userId);
    expect(byOthers.map((a) => a.action)).toEqual(expect.arrayContaining(["confidential.read", "request.reject"]));
    expect(byOthers.every((a) => a.ip === null && a.user_agent === null && a.personal_details === null)).toBe(true);
    expect(doc.audit.filter((a) => a.actor_id === emma.userId).every((a) => a.ip !== null)).toBe(true);
  });

  it("streams a history longer than a page whole, each item once, in order", async () => {
    const { w } = await emmasHistory();
    // 1 200 more entries and audit rows about her than a page holds (written directly: the API would take minutes).
    await superuserSql()`insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, reference)
      select a.tenant_id, a.id, a.employee_id, a.policy_key, p.id, 'grant', 0.01, '2027-02-01', 'bulk:' || n
      from ledger_accounts a join leave_policies p on p.tenant_id = a.tenant_id and p.key = a.policy_key, generate_series(1, 1200) n
      where a.employee_id = ${emma.employeeId}`;
    await superuserSql()`insert into audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success, details)
      select tenant_id, 'system', 'bulk', 'test.bulk', 'employee', ${emma.employeeId}, true, '{}' from employees, generate_series(1, 1200)
      where id = ${emma.employeeId}`;
    const doc = await exportOf(w, w.tokens.emma, "/v1/me/export");
    const [stored] = (await superuserSql()`select
      (select count(*)::int from ledger_entries where employee_id = ${emma.employeeId}) as entries`) as { entries: number }[];
    expect(doc.ledger_entries).toHaveLength(stored!.entries);
    const ids = doc.ledger_entries.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(doc.audit.filter((a) => a.action === "test.bulk")).toHaveLength(1200);
    expect(new Set(doc.audit.map((a) => a.id)).size).toBe(doc.audit.length);
  });

  it("pages of requests and decisions follow each other by time, whatever the page size", async () => {
    const { w } = await emmasHistory();
    for (const day of ["2027-01-07", "2027-01-08", "2027-01-11"]) {
      w.api.clock.advance(1_000);
      const r = await w.submitted(w.tokens.emma, { start_date: day, end_date: day, reason: `reason ${day}` });
      expect((await w.post(`/v1/requests/${r.id}/approve`, w.tokens.mike, { comment: `ok ${day}` })).status).toBe(200);
    }
    const walk = async (caller: typeof as.emma, employeeId: string, section: string) => {
      const ids: string[] = [];
      let after: unknown = null;
      do {
        const [result] = await runInDatabase(dbConfig(), caller, (db) => [
          db.execute<{ page: { items: { id: string }[]; next: unknown } }>(
            drizzleSql`select app.subject_export_page(${employeeId}::uuid, ${section}, ${after === null ? null : JSON.stringify(after)}::jsonb, 1) as page`,
          ),
        ]);
        const page = result.rows[0]!.page;
        expect(page.items.length).toBeLessThanOrEqual(1);
        ids.push(...page.items.map((i) => i.id));
        after = page.next;
      } while (after !== null);
      return ids;
    };
    const requests =
      (await superuserSql()`select id from leave_requests where employee_id = ${emma.employeeId} order by submitted_at, id`) as {
        id: string;
      }[];
    expect(await walk(as.emma, emma.employeeId, "leave_requests")).toEqual(requests.map((r) => r.id));
    const decisions =
      (await superuserSql()`select id from approvals where approver_id = ${people.mike.userId} order by decided_at, id`) as {
        id: string;
      }[];
    expect(decisions).toHaveLength(4);
    expect(await walk(as.mike, people.mike.employeeId, "approvals_given")).toEqual(decisions.map((d) => d.id));
  });

  it("a ciphertext that fails its check is DATA_INTEGRITY before anything is streamed", async () => {
    const { w, rejected, pending } = await emmasHistory();
    await superuserSql()`update leave_requests set reason = (select reason from leave_requests where id = ${rejected.id}),
      data_key_id = (select data_key_id from leave_requests where id = ${rejected.id}) where id = ${pending.id}`;
    await expectError(await w.api.send("/v1/me/export", { headers: bearer(w.tokens.emma) }), 500, "DATA_INTEGRITY");
  });
});

describe("the tenant's export", () => {
  it("streams every record of the tenant as NDJSON, reasons opened and every person's read logged; only a System Admin, as a person", async () => {
    const { w, rejected } = await emmasHistory();
    // More entries than a page holds (written directly: the API would take minutes).
    await superuserSql()`insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, reference)
      select a.tenant_id, a.id, a.employee_id, a.policy_key, p.id, 'grant', 0.01, '2027-02-01', 'bulk:' || n
      from ledger_accounts a join leave_policies p on p.tenant_id = a.tenant_id and p.key = a.policy_key, generate_series(1, 1200) n
      where a.employee_id = ${emma.employeeId}`;
    await expectError(await w.api.send("/v1/tenant/export", { headers: bearer(w.tokens.hana) }), 403, "FORBIDDEN");

    const res = await w.api.send("/v1/tenant/export", { headers: bearer(w.tokens.sam) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-ndjson; charset=utf-8");
    const body = await res.text();
    expect(body.endsWith("\n")).toBe(true);
    const lines = body
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, any>);
    expect(lines[0]).toMatchObject({ type: "tenant", slug: "acme", format: "leave-ledger.tenant-export.v1" });
    const of = (type: string) => lines.filter((l) => l.type === type);
    const [counts] = (await superuserSql()`select
      (select count(*)::int from employees where tenant_id = ${ACME.id}) as employees,
      (select count(*)::int from ledger_entries where tenant_id = ${ACME.id}) as entries,
      (select count(*)::int from leave_requests where tenant_id = ${ACME.id}) as requests`) as {
      employees: number;
      entries: number;
      requests: number;
    }[];
    expect([of("employee").length, of("ledger_entry").length, of("leave_request").length]).toEqual([
      counts!.employees,
      counts!.entries,
      counts!.requests,
    ]);
    expect(new Set(of("ledger_entry").map((e) => e.id)).size).toBe(counts!.entries);
    expect(of("ledger_entry").find((e) => e.kind === "grant" && e.reference.startsWith("manual:"))?.note).toBe(NOTE);
    expect(of("leave_request").find((r) => r.id === rejected.id)).toMatchObject({ reason: MEDICAL, approvals: [{ comment: COMMENT }] });
    expect(of("employee").find((e) => e.employee.id === emma.employeeId)).toMatchObject({
      user: { email: emma.email },
      roles: ["employee"],
    });
    expect(body).not.toContain(people.gina.employeeId);
    expect(of("audit").length).toBeGreaterThan(0);

    const reads = (await superuserSql()`select target_id, details ->> 'read' as read from audit_log
      where action = 'confidential.read' and actor_id = ${people.sam.userId} order by 2`) as { target_id: string; read: string }[];
    expect(reads).toEqual([
      { target_id: emma.employeeId, read: "leave_request" },
      { target_id: emma.employeeId, read: "ledger_entry" },
    ]);
    expect(await superuserSql()`select count(*)::int as n from audit_log where action = 'tenant.export'`).toEqual([{ n: 1 }]);
  });
});
