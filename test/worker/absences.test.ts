/**
 * Who is out (GET /v1/absences): a manager's team or, for HR, the tenant, by day and half day, approved and
 * pending (unexpired) leave only, never reasons; bounded windows, cursor pages by name.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type Page = {
  from: string;
  to: string;
  data: { employee_id: string; employee_name: string; days: { day: string; part: string; status: string; category: string }[] }[];
  pagination: { next_cursor: string | null; has_more: boolean };
};

const WEEK = "from=2026-12-07&to=2026-12-11";

/** Emma: 7–8 December approved, "wedding" as her reason; Eli: the afternoon of the 8th pending; Hana: the 9th pending; Eli: the 10th cancelled. */
async function officeWeek() {
  const w = await ledgerWorld({ grant: 10 });
  const emma = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08", reason: "wedding" });
  expect((await w.decide(w.tokens.mike, emma.id, "approve")).status).toBe(200);
  await w.submitted(w.tokens.eli, { start_date: "2026-12-08", end_date: "2026-12-08", start_part: "afternoon" });
  await w.submitted(w.tokens.hana, { start_date: "2026-12-09", end_date: "2026-12-09" });
  const cancelled = await w.submitted(w.tokens.eli, { start_date: "2026-12-10", end_date: "2026-12-10" });
  expect((await w.cancel(w.tokens.eli, cancelled.id)).status).toBe(200);
  const out = async (token: string, query = WEEK) => {
    const res = await w.api.send(`/v1/absences?${query}`, { headers: bearer(token) });
    const text = await res.clone().text();
    expect(res.status, text).toBe(200);
    expect(text).not.toContain("wedding");
    return (await res.json()) as Page;
  };
  return { w, out };
}

const summary = (page: Page) => page.data.map((p) => [p.employee_name, p.days.map((d) => `${d.day} ${d.part} ${d.status}`)]);

describe("who is out", () => {
  it("a manager sees their reports out by day and half day, approved and pending, by name, without reasons", async () => {
    const { w, out } = await officeWeek();
    const page = await out(w.tokens.mike);
    expect(summary(page)).toEqual([
      ["Eli Employee", ["2026-12-08 afternoon pending"]],
      ["Emma Employee", ["2026-12-07 day approved", "2026-12-08 day approved"]],
    ]);
    expect(page.data[1]!.days[0]).toMatchObject({ category: "vacation", policy_key: w.policyKey });
    expect(page.pagination).toEqual({ next_cursor: null, has_more: false });
  });

  it("HR sees the tenant; a manager may not ask for it; employees see no one's absences", async () => {
    const { w, out } = await officeWeek();
    expect(summary(await out(w.tokens.hana, `${WEEK}&scope=tenant`)).map(([name]) => name)).toEqual([
      "Eli Employee",
      "Emma Employee",
      "Hana HR",
    ]);
    expect((await out(w.tokens.ada, `${WEEK}&scope=tenant`)).data).toHaveLength(3);
    await expectError(await w.api.send(`/v1/absences?${WEEK}&scope=tenant`, { headers: bearer(w.tokens.mike) }), 403, "FORBIDDEN");
    await expectError(await w.api.send(`/v1/absences?${WEEK}`, { headers: bearer(w.tokens.emma) }), 403, "FORBIDDEN");
    expect((await out(w.tokens.hana)).data).toEqual([]); // Hana manages no one
  });

  it("pending leave stops showing once it expires; the window bounds what is shown", async () => {
    const { w, out } = await officeWeek();
    expect(summary(await out(w.tokens.mike, "from=2026-12-08&to=2026-12-08")).map(([name]) => name)).toEqual([
      "Eli Employee",
      "Emma Employee",
    ]);
    expect((await out(w.tokens.mike, "from=2026-12-09&to=2026-12-31")).data).toEqual([]);
    w.api.clock.advance(8 * 86_400_000); // past the policy's approval TTL
    await w.signInAgain();
    expect(summary(await out(w.tokens.mike)).map(([name]) => name)).toEqual(["Emma Employee"]);
  });

  it("pages by name with a cursor bound to this list", async () => {
    const { w, out } = await officeWeek();
    const first = await out(w.tokens.hana, `${WEEK}&scope=tenant&limit=2`);
    expect(first.data.map((p) => p.employee_name)).toEqual(["Eli Employee", "Emma Employee"]);
    expect(first.pagination.has_more).toBe(true);
    const second = await out(w.tokens.hana, `${WEEK}&scope=tenant&limit=2&cursor=${first.pagination.next_cursor}`);
    expect(second.data.map((p) => p.employee_name)).toEqual(["Hana HR"]);
    expect(second.pagination).toEqual({ next_cursor: null, has_more: false });
    const foreign = (await (await w.api.send("/v1/requests?limit=1", { headers: bearer(w.tokens.eli) })).json()) as Page;
    expect(foreign.pagination.next_cursor).not.toBeNull();
    await expectError(
      await w.api.send(`/v1/absences?${WEEK}&cursor=${foreign.pagination.next_cursor}`, { headers: bearer(w.tokens.mike) }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("refuses windows that are too long or backwards, and anything but dates, with a 400 naming the parameter", async () => {
    const { w } = await officeWeek();
    for (const [query, path] of [
      ["from=2026-12-01&to=2027-01-01", "to"],
      ["from=2026-12-10&to=2026-12-09", "to"],
      ["from=2026-02-30&to=2026-03-01", "from"],
      ["to=2026-12-09", "from"],
      [`${WEEK}&limit=501`, "limit"],
      [`${WEEK}&scope=company`, "scope"],
    ] as const) {
      const error = await expectError(
        await w.api.send(`/v1/absences?${query}`, { headers: bearer(w.tokens.hana) }),
        400,
        "VALIDATION_FAILED",
      );
      expect(
        (error.details.issues as { path: string }[]).map((i) => i.path),
        query,
      ).toContain(path);
    }
  });
});
