/**
 * Inputs that once reached Postgres and came back as 500s, or were accepted silently: each class is refused at
 * its root (one text rule for every field, one date type, cursors bound to their list, bodies without unknown
 * fields, query numbers in decimal digits) with a 400 that says where, and nothing is written.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;

async function written() {
  return superuserSql()`select (select count(*)::int from ledger_entries) as entries, (select count(*)::int from leave_requests) as requests,
    (select count(*)::int from holidays) as holidays, (select count(*)::int from approvals) as approvals`;
}

const issuesOf = async (res: Response) => {
  const error = await expectError(res, 400, "VALIDATION_FAILED");
  return error.details.issues as { in: string; path: string; message: string }[];
};

describe("text Postgres cannot store", () => {
  it.each([
    ["NUL", "before\u0000after"],
    ["an unpaired surrogate", "half \ud800 a pair"],
  ])("%s in any free-text field is a 400 naming the field, and nothing is written", async (_, text) => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const before = await written();
    const cases: [string, Response][] = [
      ["reason", await w.submit(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08", reason: text })],
      [
        "note",
        await w.post(`/v1/employees/${emma}/ledger-entries`, w.tokens.hana, {
          policy_key: w.policyKey,
          kind: "grant",
          amount: 1,
          effective_date: "2026-12-01",
          note: text,
        }),
      ],
      ["comment", await w.post(`/v1/requests/${request.id}/approve`, w.tokens.mike, { comment: text })],
      ["name", await w.api.postJson("/v1/holidays", { day: "2026-12-31", name: text }, bearer(w.tokens.hana))],
    ];
    for (const [field, res] of cases) {
      const issues = await issuesOf(res);
      expect(issues, field).toEqual([{ in: "body", path: field, message: expect.stringContaining("NUL"), code: "invalid_text" }]);
    }
    expect(await written()).toEqual(before);
  });
});

describe("dates Postgres refuses", () => {
  it("as_of=0000-01-01 (there is no year 0) is a 400 on every balance read", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    for (const path of ["/v1/me/balances", `/v1/employees/${emma}/balances`, "/v1/team/balances"]) {
      const issues = await issuesOf(await w.api.send(`${path}?as_of=0000-01-01`, { headers: bearer(w.tokens.mike) }));
      expect(
        issues.map((i) => `${i.in} ${i.path}`),
        path,
      ).toEqual(["query as_of"]);
    }
    const submit = await issuesOf(await w.submit(w.tokens.emma, { start_date: "0000-01-03", end_date: "0000-01-03" }));
    expect(submit.map((i) => i.path).sort()).toEqual(["end_date", "start_date"]);
  });
});

describe("cursors are bound to their list", () => {
  it("a garbage cursor, and a cursor of another list or another sort, are a 400 on every cursor list", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    for (const day of ["2026-12-07", "2026-12-08"]) await w.submitted(w.tokens.emma, { start_date: day, end_date: day });
    const cursorOf = async (path: string) => {
      const body = (await (await w.api.send(path, { headers: bearer(w.tokens.hana) })).json()) as { pagination: { next_cursor: string } };
      expect(body.pagination.next_cursor, path).toEqual(expect.any(String));
      return body.pagination.next_cursor;
    };
    const cursors = {
      requests: await cursorOf(`/v1/requests?employee_id=${emma}&limit=1`),
      approvals: await cursorOf("/v1/approvals?limit=1"),
      audit: await cursorOf("/v1/audit?limit=1"),
      entriesById: await cursorOf(`/v1/ledger-entries?employee_id=${emma}&limit=1&sort=id`),
    };
    const lists: [string, string][] = [
      ["requests", `/v1/requests?employee_id=${emma}&cursor=`],
      ["approvals", "/v1/approvals?cursor="],
      ["audit", "/v1/audit?cursor="],
      ["entriesById", `/v1/ledger-entries?employee_id=${emma}&sort=id&cursor=`],
    ];
    for (const [own, path] of lists) {
      expect(
        (await w.api.send(`${path}${cursors[own as keyof typeof cursors]}`, { headers: bearer(w.tokens.hana) })).status,
        `${own}'s own cursor`,
      ).toBe(200);
      const foreign = Object.entries(cursors)
        .filter(([name]) => name !== own)
        .map(([, cursor]) => cursor);
      const garbage = ["AAAA", btoa(JSON.stringify(["requests", "0000-01-01T00:00:00Z", crypto.randomUUID()])).replace(/=+$/, ""), "W10"];
      for (const cursor of [...foreign, ...garbage]) {
        const issues = await issuesOf(await w.api.send(`${path}${cursor}`, { headers: bearer(w.tokens.hana) }));
        expect(
          issues.map((i) => i.path),
          `${own} with ${cursor}`,
        ).toEqual(["cursor"]);
      }
    }
    // Another sort of the same list is another list.
    const byDate = `/v1/ledger-entries?employee_id=${emma}&sort=-effective_date&cursor=${cursors.entriesById}`;
    expect((await issuesOf(await w.api.send(byDate, { headers: bearer(w.tokens.hana) }))).map((i) => i.path)).toEqual(["cursor"]);
  });
});

describe("nothing accepted silently", () => {
  it("a body field no schema names is a 400 naming it (a misspelt reason is not lost)", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    const before = await written();
    const issues = await issuesOf(await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", note: "dentist" }));
    expect(issues).toEqual([{ in: "body", path: "note", message: "is not a field of this request", code: "unrecognized_keys" }]);
    expect(await written()).toEqual(before);
  });

  it("query numbers are decimal digits only", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    for (const limit of ["0x10", "1e2", " 7", "7.0", "-1", "99999999999999999999"]) {
      const issues = await issuesOf(
        await w.api.send(`/v1/requests?limit=${encodeURIComponent(limit)}`, { headers: bearer(w.tokens.emma) }),
      );
      expect(
        issues.map((i) => `${i.in} ${i.path}`),
        limit,
      ).toEqual(["query limit"]);
    }
    expect((await w.api.send("/v1/requests?limit=16", { headers: bearer(w.tokens.emma) })).status).toBe(200);
  });

  it("messages say where the problem is, and a wrong start_date is one issue, not three", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    const noKey = await w.api.postJson(
      "/v1/requests",
      { policy_key: w.policyKey, start_date: "2026-12-07", end_date: "2026-12-07" },
      bearer(w.tokens.emma),
    );
    const missing = await issuesOf(noKey);
    expect(missing).toEqual([{ in: "header", path: "idempotency-key", message: "is required", code: "invalid_type" }]);
    const wrongStart = await issuesOf(await w.submit(w.tokens.emma, { start_date: "2026-13-01", end_date: "2026-12-07" }, newKey()));
    expect(wrongStart.map((i) => i.path)).toEqual(["start_date"]);
  });
});

describe("response headers", () => {
  it("browsers may read Idempotent-Replayed, and framing is denied consistently", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    const res = await w.api.send("/v1/me", { headers: { ...bearer(w.tokens.emma), Origin: "https://app.leave-ledger.test" } });
    expect(res.headers.get("Access-Control-Expose-Headers")?.split(/,\s*/)).toContain("Idempotent-Replayed");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  });
});
