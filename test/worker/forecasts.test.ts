/**
 * Forecasts: a balance `as_of` a date after the employee's today projects the accruals the run will post by
 * then (monthly accruals, yearly allowances, prorated and capped as the run would), marked as projected.
 * The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const MONTHLY = { accrual: { period: "monthly", amount: 2 } };

type Balances = {
  as_of: string | null;
  today: string;
  forecast: boolean;
  balances: { policy_key: string; posted: number; projected: number; pending: number; available: number | null }[];
};

async function balancesOf(w: Awaited<ReturnType<typeof ledgerWorld>>, token: string, asOf?: string) {
  const res = await w.api.send(`/v1/employees/${emma}/balances${asOf ? `?as_of=${asOf}` : ""}`, { headers: bearer(token) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Balances;
}

describe("a balance as of a later date", () => {
  it("projects the accruals due by then, apart from what is posted, and counts them as available", async () => {
    // September to November are posted with the assignment: 6 days. The request waits up to 90 days for its decision.
    const w = await ledgerWorld({ policy: { ...MONTHLY, approval_ttl_hours: 24 * 90 }, startsOn: "2026-09-01", assign: [emma] });
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-03-01", end_date: "2027-03-02" });

    const march = await balancesOf(w, w.tokens.emma, "2027-03-31");
    expect(march).toMatchObject({ as_of: "2027-03-31", today: "2026-11-24", forecast: true });
    // December to March: 4 × 2 days projected; the 2 days held in March are pending.
    expect(march.balances).toEqual([expect.objectContaining({ posted: 6, projected: 8, pending: 2, available: 12 })]);
    // Projections never reach the ledger: the entries are what was posted.
    expect((await w.entries(w.tokens.emma, "&kind=accrual")).map((e) => e.effective_date)).toEqual([
      "2026-09-01",
      "2026-10-01",
      "2026-11-01",
    ]);

    // Today or earlier is not a forecast; without as_of neither.
    for (const asOf of ["2026-11-24", "2026-10-15", undefined]) {
      const plain = await balancesOf(w, w.tokens.emma, asOf);
      expect(plain.forecast, asOf).toBe(false);
      expect(plain.balances[0]!.projected, asOf).toBe(0);
    }

    // No further than 3 years ahead.
    const far = await expectError(
      await w.api.send(`/v1/employees/${emma}/balances?as_of=2029-11-25`, { headers: bearer(w.tokens.emma) }),
      400,
      "VALIDATION_FAILED",
    );
    expect(far.details.issues).toEqual([expect.objectContaining({ path: "as_of" })]);
    expect((await balancesOf(w, w.tokens.emma, "2029-11-24")).forecast).toBe(true);

    // Once the months come and the run posts them, the same forecast reads them as posted instead.
    w.api.clock.nowMs = Date.parse("2027-01-15T12:00:00Z");
    await w.signInAgain();
    await w.accrue();
    expect((await balancesOf(w, w.tokens.emma, "2027-03-31")).balances).toEqual([
      expect.objectContaining({ posted: 10, projected: 4, pending: 2, available: 12 }),
    ]);
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    expect((await balancesOf(w, w.tokens.mike, "2027-03-31")).balances).toEqual([
      expect.objectContaining({ posted: 8, projected: 4, pending: 0, available: 12 }),
    ]);
  });

  it("projects as the run posts: capped at the maximum balance, yearly allowances prorated to a known last day", async () => {
    const w = await ledgerWorld({ policy: { ...MONTHLY, max_balance: 9 }, startsOn: "2026-09-01", assign: [emma] });
    // 6 posted; December to June would add 14, the cap leaves 3.
    expect((await balancesOf(w, w.tokens.hana, "2027-06-30")).balances).toEqual([
      expect.objectContaining({ posted: 6, projected: 3, available: 9 }),
    ]);

    const yearly = { key: "yearly", name: "Yearly", unit: "day", accrual: { period: "yearly", amount: 20 }, effective_from: "2020-01-01" };
    expect((await w.api.postJson("/v1/policies", yearly, bearer(w.tokens.hana))).status).toBe(201);
    const assigned = await w.api.postJson(
      "/v1/policies/yearly/assignments",
      { employee_ids: [emma], starts_on: "2026-01-01" },
      bearer(w.tokens.hana),
    );
    expect(assigned.status).toBe(200);
    const ended = await w.post(`/v1/employees/${emma}/termination`, w.tokens.hana, { end_date: "2027-06-30" });
    expect(ended.status, await ended.clone().text()).toBe(200);
    // 2027's allowance for 1 January to 30 June: 20 × 181 / 365 = 9.92 → 10; nothing after the last day.
    const forecast = await balancesOf(w, w.tokens.hana, "2027-12-31");
    expect(forecast.balances.find((b) => b.policy_key === "yearly")).toMatchObject({ posted: 20, projected: 10, available: 30 });
    // The run posts exactly what was projected.
    w.api.clock.nowMs = Date.parse("2027-01-02T12:00:00Z");
    await w.signInAgain();
    await w.accrue();
    const accruals = await w.entries(w.tokens.hana, `&employee_id=${emma}&policy_key=yearly&kind=accrual`);
    expect(accruals.map((e) => [e.effective_date, e.amount])).toEqual([
      ["2026-01-01", 20],
      ["2027-01-01", 10],
    ]);
  });

  it("is marked in the team view and the HR report, CSV included", async () => {
    const w = await ledgerWorld({ policy: MONTHLY, startsOn: "2026-09-01", assign: [emma] });
    const team = await w.api.send("/v1/team/balances?as_of=2026-12-31", { headers: bearer(w.tokens.mike) });
    expect(team.status).toBe(200);
    const teamBody = (await team.json()) as { data: (Balances & { employee_id: string })[] };
    expect(teamBody.data.find((e) => e.employee_id === emma)).toMatchObject({
      forecast: true,
      balances: [expect.objectContaining({ posted: 6, projected: 2 })],
    });
    const csv = await w.api.send(`/v1/reports/balances?as_of=2026-12-31&policy_key=${w.policyKey}`, {
      headers: { ...bearer(w.tokens.hana), Accept: "text/csv" },
    });
    expect(csv.status).toBe(200);
    const [header, ...lines] = (await csv.text()).trim().split("\n");
    const columns = header!.split(",");
    const row = lines
      .map((line) => Object.fromEntries(line.split(",").map((cell, i) => [columns[i], cell])))
      .find((r) => r.employee_id === emma);
    expect(row).toMatchObject({ posted: "6", projected: "2", available: "8", forecast: "true" });
  });
});
