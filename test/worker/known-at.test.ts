/**
 * Bitemporal reads: besides `as_of` (effective dates), `known_at` (recorded times) answers what the ledger said at
 * an earlier moment, for audits and disputes. The test clock starts on Tuesday 2026-11-24 at noon UTC.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const MINUTE = 60_000;
const at = (minutes: number) => new Date(TUESDAY_NOON + minutes * MINUTE).toISOString();

type Balances = {
  known_at: string | null;
  forecast: boolean;
  balances: { policy_key: string; posted: number; pending: number; negative_allowance: number }[];
};

describe("balances as known at a recorded time", () => {
  it("answer what the ledger said then: entries and holds recorded by then, holds resolved or expired after it still pending", async () => {
    // 12:00 10 days granted; 12:05 a request of 2 days; 12:10 approved; 12:15 HR takes 1 day back.
    const w = await ledgerWorld({ grant: 10, assign: [emma] });
    w.api.clock.nowMs = TUESDAY_NOON + 5 * MINUTE;
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    w.api.clock.nowMs = TUESDAY_NOON + 10 * MINUTE;
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    w.api.clock.nowMs = TUESDAY_NOON + 15 * MINUTE;
    await w.signInAgain();
    const adjusted = await w.post(`/v1/employees/${emma}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "adjustment",
      amount: -1,
      effective_date: "2026-11-01",
      note: "correction",
    });
    expect(adjusted.status).toBe(201);
    // A snapshot taken now must not leak into earlier readings.
    await superuserSql()`select app.take_snapshot(id, '2026-12-31', now()) from ledger_accounts where employee_id = ${emma}`;

    const known = async (knownAt: string, asOf?: string) => {
      const query = new URLSearchParams({ known_at: knownAt, ...(asOf ? { as_of: asOf } : {}) });
      const res = await w.api.send(`/v1/employees/${emma}/balances?${query}`, { headers: bearer(w.tokens.hana) });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Balances;
    };
    const balanceAt = async (minutes: number, asOf?: string) => {
      const body = await known(at(minutes), asOf);
      return body.balances.map((b) => [b.posted, b.pending]);
    };
    expect(await balanceAt(3)).toEqual([[10, 0]]);
    expect(await balanceAt(7)).toEqual([[10, 2]]);
    expect(await balanceAt(12)).toEqual([[8, 0]]);
    expect(await balanceAt(15)).toEqual([[7, 0]]);
    // Both axes: as of 30 November, known at 12:12, the approved days (7 and 8 December) do not count yet.
    expect(await balanceAt(12, "2026-11-30")).toEqual([[10, 0]]);
    expect(await balanceAt(15, "2026-11-30")).toEqual([[9, 0]]);
    // Before anything was recorded there is nothing to count; before the policy existed, no balance at all.
    expect(await balanceAt(-1)).toEqual([]);
    const body = await known(at(3), "2027-06-30");
    expect(body).toMatchObject({ known_at: at(3), forecast: false });

    // The entries list reads the same way.
    const entries = await w.entries(w.tokens.hana, `&employee_id=${emma}&known_at=${encodeURIComponent(at(12))}`);
    expect(entries.map((e) => e.kind).sort()).toEqual(["grant", "hold", "hold_release", "usage", "usage"].sort());
  });

  it("a hold that expired by then no longer counts as pending; the versions of a policy created later are not used", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma], policy: { approval_ttl_hours: 1 } });
    w.api.clock.nowMs = TUESDAY_NOON + 5 * MINUTE;
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    w.api.clock.nowMs = TUESDAY_NOON + 120 * MINUTE;
    await w.signInAgain();
    const revised = await w.api.postJson(
      `/v1/policies/${w.policyKey}/versions`,
      { name: "PTO", unit: "day", negative_allowance: 3, effective_from: "2020-01-01" },
      bearer(w.tokens.hana),
    );
    expect(revised.status).toBe(201);
    const read = async (knownAt: string) => {
      const res = await w.api.send(`/v1/employees/${emma}/balances?known_at=${encodeURIComponent(knownAt)}`, {
        headers: bearer(w.tokens.hana),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as Balances).balances[0];
    };
    expect(await read(at(30))).toMatchObject({ posted: 5, pending: 1, negative_allowance: 0 });
    expect(await read(at(90))).toMatchObject({ posted: 5, pending: 0, negative_allowance: 0 });
    expect(await read(at(119))).toMatchObject({ negative_allowance: 0 });
    expect(await read(at(120))).toMatchObject({ negative_allowance: 3 });
  });

  it("refuses a time in the future or one that is not an instant, and keeps to what the caller may see", async () => {
    const w = await ledgerWorld({ grant: 5, assign: [emma] });
    for (const knownAt of [at(1), "2026-11-24", "yesterday", "0000-01-01T00:00:00Z"]) {
      const refused = await expectError(
        await w.api.send(`/v1/employees/${emma}/balances?known_at=${encodeURIComponent(knownAt)}`, { headers: bearer(w.tokens.hana) }),
        400,
        "VALIDATION_FAILED",
      );
      expect(refused.details.issues, knownAt).toEqual([expect.objectContaining({ path: "known_at" })]);
    }
    await expectError(
      await w.api.send(`/v1/employees/${emma}/balances?known_at=${encodeURIComponent(at(0))}`, { headers: bearer(w.tokens.eli) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    const report = await w.api.send(`/v1/reports/balances?known_at=${encodeURIComponent(at(0))}`, { headers: bearer(w.tokens.hana) });
    expect(report.status).toBe(200);
  });
});
