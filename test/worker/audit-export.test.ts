import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { AUDIT_EXPORT_PAGE_ROWS } from "../../src/kernel/constants";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Every entry the list answers for `query`, page after page. */
async function listed(api: ReturnType<typeof authApp>, token: string, query = "") {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.send(`/v1/audit?limit=200${query}${cursor ? `&cursor=${cursor}` : ""}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { data: { id: number }[]; pagination: { next_cursor: string | null } };
    ids.push(...page.data.map((e) => e.id));
    cursor = page.pagination.next_cursor;
  } while (cursor);
  return ids;
}

describe("exporting the audit log", () => {
  it("streams every entry the list has, newest first, across many pages, as NDJSON; the export is audited", async () => {
    const api = authApp();
    const ada = await api.tokens(people.ada.email);
    const extra = AUDIT_EXPORT_PAGE_ROWS + 500;
    await superuserSql()`insert into audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, success)
      select ${ACME.id}, 'system', 'seed', 'test.filler', 'employee', g::text, true from generate_series(1, ${extra}) g`;
    const expected = await listed(api, ada.access_token);
    expect(expected.length).toBeGreaterThan(extra);

    const res = await api.send("/v1/audit/export", { headers: bearer(ada.access_token) });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.ndjson"$/);
    const lines = (await res.text()).split("\n");
    expect(lines.pop()).toBe("");
    const entries = lines.map((l) => JSON.parse(l) as { id: number; action: string; details: unknown });
    expect(entries.map((e) => e.id)).toEqual(expected);

    const [audited] = (await superuserSql()`select actor_id, details from audit_log where action = 'audit.export'`) as [
      { actor_id: string; details: { format: string } },
    ];
    expect(audited).toMatchObject({ actor_id: people.ada.userId, details: { format: "ndjson" } });
  });

  it("as CSV: a header, RFC 4180 quoting, and no cell a spreadsheet would run as a formula", async () => {
    const api = authApp();
    const hostile = '=HYPERLINK("http://attacker.example","x"), really';
    await api.postJson(
      "/v1/auth/login",
      { tenant: "acme", email: people.emma.email, password: "wrong-password" },
      { "User-Agent": hostile },
    );
    const ada = await api.tokens(people.ada.email);
    const res = await api.send("/v1/audit/export?format=csv&action=auth.login", { headers: bearer(ada.access_token) });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = (await res.text()).trimEnd().split("\n");
    expect(header).toBe(
      "id,occurred_at,actor_type,actor_id,action,target_type,target_id,success,ip,user_agent,request_id,details,personal_details,personal_data_erased",
    );
    expect(rows).toHaveLength(2);
    const failed = rows.find((r) => r.includes(",false,"))!;
    expect(failed).toContain(`"'=HYPERLINK(""http://attacker.example"",""x""), really"`);
    expect(failed).toMatch(/,"\{""method"":""password"",/);
  });

  it("applies the list's filters, and refuses a format it does not know", async () => {
    const api = authApp();
    const sam = await api.tokens(people.sam.email);
    await api.postJson(`/v1/users/${people.eli.userId}/roles`, { role: "manager" }, bearer(sam.access_token));
    const res = await api.send(`/v1/audit/export?target_type=user&target_id=${people.eli.userId}`, { headers: bearer(sam.access_token) });
    const entries = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string });
    expect(entries.map((e) => e.action)).toEqual(["role.assign"]);
    await expectError(await api.send("/v1/audit/export?format=xml", { headers: bearer(sam.access_token) }), 400, "VALIDATION_FAILED");
  });
});
