/**
 * The people directory (GET /v1/employees, GET /v1/employees/{id}) and the names shown next to ids: each role
 * sees what row-level security lets it see, search and filters find the right people, and bad input is a 400.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type Employee = { id: string; display_name: string; email: string; employee_number: string; manager_name: string | null; status: string };
type Page = { data: Employee[]; total: number; offset: number; limit: number };

async function directory() {
  const api = authApp();
  const tokens = Object.fromEntries(
    await Promise.all(
      (["sam", "hana", "mike", "emma", "ada"] as const).map(async (n) => [n, (await api.tokens(people[n].email)).access_token]),
    ),
  ) as Record<"sam" | "hana" | "mike" | "emma" | "ada", string>;
  const list = async (token: string, query = "") => {
    const res = await api.send(`/v1/employees${query}`, { headers: bearer(token) });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };
  return { api, tokens, list };
}

const numbers = (page: Page) => page.data.map((e) => e.employee_number);
const acmeNumbers = ACME.people.map((p) => p.employeeNumber);

describe("who sees whom", () => {
  it("an employee sees themself, a manager their reports and themself, HR, System Admin and Auditor the tenant", async () => {
    const { tokens, list } = await directory();
    expect(numbers(await list(tokens.emma))).toEqual(["A-004"]);
    expect(numbers(await list(tokens.mike, "?sort=employee_number")).sort()).toEqual(["A-003", "A-004", "A-005"]);
    for (const token of [tokens.hana, tokens.sam, tokens.ada]) {
      const page = await list(token, "?sort=employee_number");
      expect(numbers(page)).toEqual([...acmeNumbers].sort());
      expect(page.total).toBe(acmeNumbers.length);
    }
  });

  it("a record carries the name, email, status and the manager's name, even when the caller cannot see the manager", async () => {
    const { api, tokens } = await directory();
    const res = await api.send(`/v1/employees/${people.emma.employeeId}`, { headers: bearer(tokens.emma) });
    expect(await res.json()).toEqual({
      id: people.emma.employeeId,
      user_id: people.emma.userId,
      display_name: "Emma Employee",
      email: people.emma.email,
      external_subject: null,
      status: "active",
      employee_number: "A-004",
      manager_id: people.mike.employeeId,
      manager_name: "Mike Manager",
      time_zone: people.emma.timeZone,
      hire_date: people.emma.hireDate,
      end_date: null,
      work_week: [1, 2, 3, 4, 5],
      holiday_calendar: "default",
    });
    // Emma's manager is shown by name, yet his record is not hers to read.
    await expectError(
      await api.send(`/v1/employees/${people.mike.employeeId}`, { headers: bearer(tokens.emma) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await api.send(`/v1/employees/${people.eli.employeeId}`, { headers: bearer(tokens.emma) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    await expectError(
      await api.send(`/v1/employees/${people.gus.employeeId}`, { headers: bearer(tokens.hana) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    expect((await api.send(`/v1/employees/${people.eli.employeeId}`, { headers: bearer(tokens.mike) })).status).toBe(200);
  });

  it("another tenant's people never appear, whatever the search", async () => {
    const { tokens, list } = await directory();
    expect((await list(tokens.sam, "?q=gina")).total).toBe(0);
    expect((await list(tokens.sam, `?manager_id=${people.gina.employeeId}`)).data).toEqual([]);
  });
});

describe("search, filters, sorting, pages", () => {
  it("q finds part of a name, an email or an employee number in any case; its wildcards are taken literally", async () => {
    const { tokens, list } = await directory();
    expect(numbers(await list(tokens.hana, "?q=EMMA"))).toEqual(["A-004"]);
    expect(numbers(await list(tokens.hana, "?q=manager%40acme"))).toEqual(["A-003"]);
    expect(numbers(await list(tokens.hana, "?q=a-00&sort=-employee_number"))).toEqual([...acmeNumbers].sort().reverse());
    expect((await list(tokens.hana, "?q=%25")).total).toBe(0);
    expect((await list(tokens.hana, "?q=_")).total).toBe(0);
    await superuserSql()`update users set display_name = 'Emma 100% Employee_X' where id = ${people.emma.userId}`;
    expect(numbers(await list(tokens.hana, "?q=100%25"))).toEqual(["A-004"]);
    expect(numbers(await list(tokens.hana, "?q=e_x"))).toEqual(["A-004"]);
  });

  it("filters by manager, status and policy assignment", async () => {
    const w = await ledgerWorld({ assign: [people.emma.employeeId], startsOn: "2026-01-01" });
    const { list } = await directory();
    const token = w.tokens.hana;
    expect(numbers(await list(token, `?manager_id=${people.mike.employeeId}&sort=employee_number`))).toEqual(["A-004", "A-005"]);
    expect(numbers(await list(token, `?policy_key=${w.policyKey}`))).toEqual(["A-004"]);
    expect((await list(token, "?policy_key=no-such-policy")).total).toBe(0);
    expect((await w.api.postJson(`/v1/users/${people.eli.userId}/deactivate`, {}, bearer(w.tokens.hana))).status).toBe(204);
    expect(numbers(await list(token, "?active=false"))).toEqual(["A-005"]);
    expect((await list(token, "?active=true")).total).toBe(acmeNumbers.length - 1);
    expect((await list(token, "?active=true&q=eli")).total).toBe(0);
  });

  it("sorts by each allowed key, both ways, and pages with a total counted over every match", async () => {
    const { tokens, list } = await directory();
    const byName = [...ACME.people].sort((a, b) => (a.displayName < b.displayName ? -1 : 1)).map((p) => p.employeeNumber);
    expect(numbers(await list(tokens.hana))).toEqual(byName);
    expect(numbers(await list(tokens.hana, "?sort=-name"))).toEqual([...byName].reverse());
    const byHire = [...ACME.people].sort((a, b) => (a.hireDate < b.hireDate ? -1 : 1)).map((p) => p.employeeNumber);
    expect(numbers(await list(tokens.hana, "?sort=hire_date"))).toEqual(byHire);
    const byEmail = [...ACME.people].sort((a, b) => (a.email < b.email ? -1 : 1)).map((p) => p.employeeNumber);
    expect(numbers(await list(tokens.hana, "?sort=-email"))).toEqual([...byEmail].reverse());

    const first = await list(tokens.hana, "?sort=employee_number&limit=4");
    const second = await list(tokens.hana, "?sort=employee_number&limit=4&offset=4");
    expect({ ...first, data: numbers(first) }).toEqual({ data: ["A-001", "A-002", "A-003", "A-004"], total: 6, offset: 0, limit: 4 });
    expect({ ...second, data: numbers(second) }).toEqual({ data: ["A-005", "A-006"], total: 6, offset: 4, limit: 4 });
    const beyond = await list(tokens.hana, "?offset=100");
    expect(beyond).toEqual({ data: [], total: 6, offset: 100, limit: 50 });
  });

  it("refuses what is not in the allow-list or out of bounds with a 400 naming the parameter", async () => {
    const { api, tokens } = await directory();
    for (const [query, path] of [
      ["?sort=password", "sort"],
      ["?sort=display_name;drop", "sort"],
      ["?limit=201", "limit"],
      ["?limit=0", "limit"],
      ["?offset=-1", "offset"],
      ["?offset=1e3", "offset"],
      ["?active=yes", "active"],
      ["?manager_id=not-a-uuid", "manager_id"],
      ["?policy_key=NOT%20A%20KEY", "policy_key"],
      [`?q=${"x".repeat(101)}`, "q"],
      ["?q=%20%20", "q"],
      ["?q=a%00b", "q"],
    ] as const) {
      const error = await expectError(await api.send(`/v1/employees${query}`, { headers: bearer(tokens.hana) }), 400, "VALIDATION_FAILED");
      expect(
        (error.details.issues as { path: string }[]).map((i) => i.path),
        query,
      ).toContain(path);
    }
    await expectError(await api.send("/v1/employees/not-a-uuid", { headers: bearer(tokens.hana) }), 400, "VALIDATION_FAILED");
  });
});

describe("names next to ids", () => {
  it("requests, the approvals inbox and team balances name the employee and the approver", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const pending = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    expect(pending).toMatchObject({ employee_id: people.emma.employeeId, employee_name: "Emma Employee" });

    const inbox = await w.api.send("/v1/approvals", { headers: bearer(w.tokens.mike) });
    const inboxPage = (await inbox.json()) as { data: { id: string; employee_name: string }[] };
    expect(inboxPage.data.find((r) => r.id === pending.id)?.employee_name).toBe("Emma Employee");

    expect((await w.post(`/v1/requests/${pending.id}/approve`, w.tokens.mike, { comment: "ok" })).status).toBe(200);
    // Emma cannot read Mike's user row, yet is told who approved.
    const mine = await w.api.send(`/v1/requests/${pending.id}`, { headers: bearer(w.tokens.emma) });
    expect(((await mine.json()) as { approvals: unknown[] }).approvals).toEqual([
      expect.objectContaining({ approver_id: people.mike.userId, approver_name: "Mike Manager" }),
    ]);

    const team = await w.api.send("/v1/team/balances", { headers: bearer(w.tokens.mike) });
    const teamBody = (await team.json()) as { data: { employee_id: string; employee_name: string }[] };
    expect(teamBody.data.map((b) => [b.employee_id, b.employee_name]).sort()).toEqual(
      [
        [people.emma.employeeId, "Emma Employee"],
        [people.eli.employeeId, "Eli Employee"],
      ].sort(),
    );
    const own = await w.api.send(`/v1/employees/${people.emma.employeeId}/balances`, { headers: bearer(w.tokens.emma) });
    expect(await own.json()).toMatchObject({ employee_id: people.emma.employeeId, employee_name: "Emma Employee" });
  });
});

describe("HR edits a record", () => {
  const patch = (api: ReturnType<typeof authApp>, token: string, id: string, change: unknown) =>
    api.send(`/v1/employees/${id}`, {
      method: "PATCH",
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: JSON.stringify(change),
    });

  it("name, number and hire date change in one call, audited; the person's sessions go on", async () => {
    const { api, tokens } = await directory();
    const res = await patch(api, tokens.hana, people.emma.employeeId, {
      display_name: "Emma Weber",
      employee_number: "A-104",
      hire_date: "2022-10-01",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      display_name: "Emma Weber",
      employee_number: "A-104",
      hire_date: "2022-10-01",
      email: people.emma.email,
    });
    expect((await api.me(tokens.emma)).status).toBe(200);
    const [audit] = (await superuserSql()`select actor_id, details, personal_details from audit_log where action = 'employee.update'`) as [
      { actor_id: string; details: { fields: string[] }; personal_details: Record<string, string> },
    ];
    expect(audit.actor_id).toBe(people.hana.userId);
    expect(audit.details.fields.sort()).toEqual(["display_name", "employee_number", "hire_date"]);
    expect(audit.personal_details).toEqual({ display_name: "Emma Weber", employee_number: "A-104", hire_date: "2022-10-01" });
  });

  it("a new email ends every session of the person at once; they sign in with the new one", async () => {
    const { api, tokens } = await directory();
    const refresh = (await api.tokens(people.emma.email)).refresh_token;
    api.clock.advance(1000);
    const res = await patch(api, tokens.hana, people.emma.employeeId, { email: "emma.weber@acme.example" });
    expect(res.status).toBe(200);
    await expectError(await api.me(tokens.emma), 401, "UNAUTHORIZED");
    await expectError(await api.postJson("/v1/auth/refresh", { refresh_token: refresh }), 401, "UNAUTHORIZED");
    await expectError(await api.login(people.emma.email, undefined, "192.0.2.70"), 401, "UNAUTHORIZED");
    expect((await api.login("emma.weber@acme.example", undefined, "192.0.2.71")).status).toBe(200);
  });

  it("only a System Admin edits a System Admin's record; nobody edits another tenant's; employees and auditors edit nothing", async () => {
    const { api, tokens } = await directory();
    const before =
      await superuserSql()`select e.*, u.email, u.display_name from employees e join users u on u.id = e.user_id order by e.id`;
    await expectError(await patch(api, tokens.hana, people.sam.employeeId, { display_name: "Not Sam" }), 403, "FORBIDDEN");
    await expectError(await patch(api, tokens.hana, people.sam.employeeId, { time_zone: "UTC" }), 403, "FORBIDDEN");
    await expectError(await patch(api, tokens.hana, people.sam.employeeId, { email: "evil@acme.example" }), 403, "FORBIDDEN");
    await expectError(await patch(api, tokens.hana, people.gus.employeeId, { email: "evil@acme.example" }), 404, "RESOURCE_NOT_FOUND");
    await expectError(await patch(api, tokens.emma, people.emma.employeeId, { display_name: "Self-promoted" }), 403, "FORBIDDEN");
    await expectError(await patch(api, tokens.ada, people.emma.employeeId, { display_name: "Audited" }), 403, "FORBIDDEN");
    expect(
      await superuserSql()`select e.*, u.email, u.display_name from employees e join users u on u.id = e.user_id order by e.id`,
    ).toEqual(before);
    expect((await patch(api, tokens.sam, people.sam.employeeId, { display_name: "Samantha Admin" })).status).toBe(200);
  });

  it("an email or number taken in the tenant is a 409 and changes nothing; the same email in another tenant is fine", async () => {
    const { api, tokens } = await directory();
    await expectError(await patch(api, tokens.hana, people.emma.employeeId, { email: people.eli.email.toUpperCase() }), 409, "CONFLICT");
    await expectError(
      await patch(api, tokens.hana, people.emma.employeeId, { employee_number: "A-005", display_name: "X" }),
      409,
      "CONFLICT",
    );
    const [emma] = (await superuserSql()`select u.email, u.display_name from users u where id = ${people.emma.userId}`) as [
      Record<string, string>,
    ];
    expect(emma).toEqual({ email: people.emma.email, display_name: "Emma Employee" });
    expect((await patch(api, tokens.hana, people.emma.employeeId, { email: people.gus.email })).status).toBe(200);
    for (const body of [{}, { email: "not-an-email" }, { display_name: "" }, { hire_date: "2026-02-30" }, { end_date: "2027-01-01" }]) {
      await expectError(await patch(api, tokens.hana, people.emma.employeeId, body), 400, "VALIDATION_FAILED");
    }
  });
});

describe("what an edit may never do", () => {
  const patch = (api: ReturnType<typeof authApp>, token: string, id: string, change: unknown) =>
    api.send(`/v1/employees/${id}`, {
      method: "PATCH",
      headers: { ...bearer(token), "Content-Type": "application/json" },
      body: JSON.stringify(change),
    });

  it("an API key never edits the System Admin who made it, and never changes anyone's sign-in email", async () => {
    const { api, tokens } = await directory();
    const res = await api.postJson("/v1/api-keys", { name: "hris sync", role: "hr_admin" }, bearer(tokens.sam));
    expect(res.status).toBe(201);
    const { key } = (await res.json()) as { key: string };
    await expectError(await patch(api, key, people.sam.employeeId, { email: "taken-over@acme.example" }), 403, "FORBIDDEN");
    await expectError(await patch(api, key, people.sam.employeeId, { display_name: "Not Sam" }), 403, "FORBIDDEN");
    await expectError(await patch(api, key, people.emma.employeeId, { email: "emma.elsewhere@acme.example" }), 403, "FORBIDDEN");
    expect((await patch(api, key, people.emma.employeeId, { display_name: "Emma Synced" })).status).toBe(200);
    const [sam] = (await superuserSql()`select email, display_name from users where id = ${people.sam.userId}`) as [Record<string, string>];
    expect(sam).toEqual({ email: people.sam.email, display_name: "Sam Admin" });
    expect((await api.me(tokens.emma)).status).toBe(200);
  });

  it("nobody changes the dates and days of their own leave; their own name is fine", async () => {
    const { api, tokens } = await directory();
    for (const change of [{ hire_date: "2019-01-01" }, { work_week: [1] }, { time_zone: "Pacific/Kiritimati" }]) {
      await expectError(await patch(api, tokens.hana, people.hana.employeeId, change), 403, "FORBIDDEN");
    }
    expect((await patch(api, tokens.hana, people.hana.employeeId, { display_name: "Hana Human-Resources" })).status).toBe(200);
    expect((await patch(api, tokens.sam, people.hana.employeeId, { work_week: [1, 2, 3, 4] })).status).toBe(200);
  });

  it("an erased person's record stays erased, and nobody may take the erased people's emails or numbers", async () => {
    const { api, tokens } = await directory();
    const erased = await api.postJson(`/v1/employees/${people.eli.employeeId}/erasure`, {}, bearer(tokens.sam));
    expect(erased.status, await erased.clone().text()).toBe(200);
    await expectError(await patch(api, tokens.hana, people.eli.employeeId, { display_name: "Eli Again" }), 409, "CONFLICT");
    await expectError(await patch(api, tokens.sam, people.eli.employeeId, { employee_number: "A-105" }), 409, "CONFLICT");
    await expectError(
      await api.send(`/v1/users/${people.eli.userId}/external-identity`, {
        method: "PUT",
        headers: { ...bearer(tokens.sam), "Content-Type": "application/json" },
        body: JSON.stringify({ subject: "idp|eli" }),
      }),
      409,
      "CONFLICT",
    );
    const [eli] = (await superuserSql()`select display_name, external_subject from users where id = ${people.eli.userId}`) as [
      Record<string, string>,
    ];
    expect(eli).toEqual({ display_name: "Erased employee", external_subject: null });
    for (const change of [
      { email: `erased-${people.emma.userId}@erased.invalid` },
      { employee_number: `erased-${people.mike.employeeId}` },
    ]) {
      const error = await expectError(await patch(api, tokens.hana, people.emma.employeeId, change), 400, "VALIDATION_FAILED");
      expect((error.details.issues as { path: string }[])[0]!.path).toBe(Object.keys(change)[0]);
    }
  });
});
