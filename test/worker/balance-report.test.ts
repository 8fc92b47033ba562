/**
 * The tenant's balance report (GET /v1/reports/balances): every employee's balances for HR, keyset pages by
 * employee id, filters, and CSV when the client asks for it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type Page = {
  data: { employee_id: string; employee_name: string; balances: { policy_key: string; posted: number; available: number | null }[] }[];
  pagination: { next_cursor: string | null; has_more: boolean };
};

const acmeIds = ACME.people.map((p) => p.employeeId).sort();

describe("the balance report", () => {
  it("pages through every employee of the tenant by id, each with their balances", async () => {
    const w = await ledgerWorld({ grant: 5 });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const seen: Page["data"] = [];
    let cursor: string | null = null;
    do {
      const res = await w.api.send(`/v1/reports/balances?limit=4${cursor ? `&cursor=${cursor}` : ""}`, { headers: bearer(w.tokens.hana) });
      expect(res.status, await res.clone().text()).toBe(200);
      const page = (await res.json()) as Page;
      expect(page.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data);
      cursor = page.pagination.next_cursor;
    } while (cursor);
    expect(seen.map((e) => e.employee_id)).toEqual(acmeIds);
    const emma = seen.find((e) => e.employee_id === people.emma.employeeId)!;
    expect(emma).toMatchObject({ employee_name: "Emma Employee", balances: [{ policy_key: w.policyKey, posted: 5, available: 4 }] });
    expect(seen.find((e) => e.employee_id === people.ada.employeeId)!.balances).toEqual([]);
  });

  it("filters by policy and manager, answers as of a date, and is for tenant readers only", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [people.emma.employeeId, people.hana.employeeId] });
    const report = async (query: string, token = w.tokens.hana) => {
      const res = await w.api.send(`/v1/reports/balances?${query}`, { headers: bearer(token) });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Page;
    };
    expect((await report(`policy_key=${w.policyKey}`)).data.map((e) => e.employee_id).sort()).toEqual(
      [people.emma.employeeId, people.hana.employeeId].sort(),
    );
    expect((await report(`manager_id=${people.mike.employeeId}`)).data.map((e) => e.employee_id).sort()).toEqual(
      [people.emma.employeeId, people.eli.employeeId].sort(),
    );
    const before = await report(`policy_key=${w.policyKey}&as_of=2025-12-31`);
    expect(before.data.every((e) => e.balances.every((b) => b.posted === 0))).toBe(true);
    expect((await report("limit=1", w.tokens.ada)).data).toHaveLength(1);
    for (const token of [w.tokens.emma, w.tokens.mike]) {
      await expectError(await w.api.send("/v1/reports/balances", { headers: bearer(token) }), 403, "FORBIDDEN");
    }
    const gina = (await w.api.tokens(people.gina.email, "globex")).access_token;
    expect((await report("", gina)).data.map((e) => e.employee_id)).not.toContain(people.emma.employeeId);
    for (const query of ["limit=201", "cursor=nope", "as_of=2026-02-30", "policy_key=NO KEY", "manager_id=x"]) {
      await expectError(await w.api.send(`/v1/reports/balances?${query}`, { headers: bearer(w.tokens.hana) }), 400, "VALIDATION_FAILED");
    }
  });

  it("answers CSV when asked for text/csv: a header, a line per employee and policy, the next page in a Link header", async () => {
    const w = await ledgerWorld({ grant: 5 });
    await w.api.send(`/v1/employees/${people.emma.employeeId}`, {
      method: "PATCH",
      headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
      body: JSON.stringify({ display_name: '=HYPERLINK("x"), Emma' }),
    });
    const res = await w.api.send("/v1/reports/balances?limit=3", { headers: { ...bearer(w.tokens.hana), Accept: "text/csv" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines[0]).toBe(
      "employee_id,employee_name,policy_key,unit,tracking,posted,projected,pending,negative_allowance,available,as_of,known_at,today,forecast",
    );
    expect(lines).toHaveLength(4);
    const link = res.headers.get("Link");
    expect(link).toMatch(/^<\/v1\/reports\/balances\?limit=3&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const next = await w.api.send(link!.slice(1, link!.indexOf(">")), { headers: { ...bearer(w.tokens.hana), Accept: "text/csv" } });
    const rest = (await next.text()).trimEnd().split("\n").slice(1);
    const all = [...lines.slice(1), ...rest];
    expect(all.map((line) => line.slice(0, 36)).sort()).toEqual(acmeIds);
    expect(all.find((line) => line.startsWith(people.emma.employeeId))).toContain(
      `"'=HYPERLINK(""x""), Emma",${w.policyKey},day,tracked,5,0,0,0,5,,,2026-11-24,false`,
    );
  });
});

describe("the usage report", () => {
  type Usage = { data: { employee_id: string; usage: { policy_key: string; category: string; used: number }[] }[] };

  it("sums leave taken in the period per employee and policy, less what was cancelled, in JSON or CSV", async () => {
    const w = await ledgerWorld({ grant: 10 });
    const taken = await w.submitted(w.tokens.emma, { start_date: "2026-11-30", end_date: "2026-12-02" });
    const cancelled = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await w.submitted(w.tokens.eli, { start_date: "2026-12-08", end_date: "2026-12-08" }); // pending: not taken
    for (const id of [taken.id, cancelled.id]) expect((await w.decide(w.tokens.mike, id, "approve")).status).toBe(200);
    expect((await w.cancel(w.tokens.emma, cancelled.id)).status).toBe(200);

    const res = await w.api.send("/v1/reports/usage?from=2026-12-01&to=2026-12-31", { headers: bearer(w.tokens.hana) });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as Usage;
    const used = Object.fromEntries(body.data.map((e) => [e.employee_id, e.usage]));
    // 30 November is before the period: 1 and 2 December count; the cancelled day and Eli's pending one do not.
    expect(used[people.emma.employeeId]).toEqual([{ policy_key: w.policyKey, category: "vacation", unit: "day", used: 2 }]);
    expect(used[people.eli.employeeId]).toEqual([]);

    const csv = await w.api.send(`/v1/reports/usage?from=2026-12-01&to=2026-12-31&manager_id=${people.mike.employeeId}`, {
      headers: { ...bearer(w.tokens.ada), Accept: "text/csv" },
    });
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("employee_id,employee_name,policy_key,category,unit,used,from,to");
    expect(lines.slice(1).sort()).toEqual(
      [
        `${people.emma.employeeId},Emma Employee,${w.policyKey},vacation,day,2,2026-12-01,2026-12-31`,
        `${people.eli.employeeId},Eli Employee,,,,,2026-12-01,2026-12-31`,
      ].sort(),
    );
    for (const query of ["from=2026-12-31&to=2026-12-01", "from=2026-01-01&to=2027-06-30", "to=2026-12-31"]) {
      await expectError(await w.api.send(`/v1/reports/usage?${query}`, { headers: bearer(w.tokens.hana) }), 400, "VALIDATION_FAILED");
    }
    await expectError(
      await w.api.send("/v1/reports/usage?from=2026-12-01&to=2026-12-31", { headers: bearer(w.tokens.mike) }),
      403,
      "FORBIDDEN",
    );
  });
});
