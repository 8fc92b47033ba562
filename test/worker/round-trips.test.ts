import { beforeEach, expect, it } from "vitest";
import { dbConfig, people, roundTrips } from "../support/worker/callers";
import { recordingMetrics, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

/**
 * Postgres round trips per API call, counted by the local Neon endpoint (one HTTP request = one round trip
 * = one transaction). Measured on a warm permission cache, as most calls are served. The goal is 1 for
 * every read and write; the ceiling is 2 for reads and 3 for writes.
 */
beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

it("every ledger endpoint costs one round trip, two when it must first read the key it seals with", { timeout: 60_000 }, async () => {
  const w = await ledgerWorld({ grant: 10, policy: { accrual: { period: "monthly", amount: 1 } } });
  const pending = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
  const toReject = await w.submitted(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08" });
  const toCancel = await w.submitted(w.tokens.eli, { start_date: "2026-12-08", end_date: "2026-12-08" });
  const emma = people.emma.employeeId;

  type Bindings = { DATABASE_URL: string; METRICS: AnalyticsEngineDataset };
  const get = (token: string, path: string) => (bindings: Bindings) => w.api.send(path, { headers: bearer(token) }, bindings);
  const post = (token: string, path: string, body: unknown) => (bindings: Bindings) =>
    w.api.postJson(path, body, { ...bearer(token), "Idempotency-Key": newKey("rt") }, bindings);
  const calls: [string, (bindings: Bindings) => Promise<Response>][] = [
    ["GET /v1/me/balances", get(w.tokens.emma, "/v1/me/balances")],
    ["GET /v1/employees/{id}/balances?as_of", get(w.tokens.mike, `/v1/employees/${emma}/balances?as_of=2026-12-31`)],
    ["GET /v1/team/balances", get(w.tokens.mike, "/v1/team/balances")],
    ["GET /v1/team/balances?as_of (a forecast)", get(w.tokens.mike, "/v1/team/balances?as_of=2027-06-30")],
    ["GET /v1/employees/{id}/balances?known_at", get(w.tokens.hana, `/v1/employees/${emma}/balances?known_at=2026-11-24T12:00:00Z`)],
    ["GET /v1/ledger-entries", get(w.tokens.emma, "/v1/ledger-entries?sort=-effective_date&limit=2")],
    ["GET /v1/requests", get(w.tokens.emma, "/v1/requests")],
    ["GET /v1/requests/{id}", get(w.tokens.emma, `/v1/requests/${pending.id}`)],
    ["GET /v1/me/export (a history that fits in a page)", get(w.tokens.emma, "/v1/me/export")],
    ["GET /v1/approvals", get(w.tokens.mike, "/v1/approvals")],
    ["GET /v1/absences", get(w.tokens.hana, "/v1/absences?from=2026-12-07&to=2026-12-11&scope=tenant")],
    ["GET /v1/employees", get(w.tokens.hana, "/v1/employees?q=e&sort=-hire_date")],
    ["GET /v1/employees/{id}", get(w.tokens.emma, `/v1/employees/${emma}`)],
    ["GET /v1/reports/balances", get(w.tokens.hana, "/v1/reports/balances?limit=3")],
    ["GET /v1/reports/usage", get(w.tokens.hana, "/v1/reports/usage?from=2026-12-01&to=2026-12-31")],
    ["POST /v1/requests", post(w.tokens.emma, "/v1/requests", { policy_key: "pto", start_date: "2026-12-09", end_date: "2026-12-09" })],
    [
      "POST /v1/requests/simulations",
      post(w.tokens.emma, "/v1/requests/simulations", {
        policy_key: "pto",
        start_date: "2027-03-01",
        end_date: "2027-03-05",
        until: "2028-03-31",
      }),
    ],
    [
      "POST /v1/requests with a reason, Emma's first of 2027",
      post(w.tokens.emma, "/v1/requests", { policy_key: "pto", start_date: "2027-01-05", end_date: "2027-01-05", reason: "rt" }),
    ],
    [
      "POST /v1/requests with a reason, her key known",
      post(w.tokens.emma, "/v1/requests", { policy_key: "pto", start_date: "2027-01-06", end_date: "2027-01-06", reason: "rt" }),
    ],
    ["GET /v1/requests, sealed reasons opened", get(w.tokens.mike, `/v1/requests?employee_id=${emma}`)],
    ["GET /v1/approvals, sealed reasons opened", get(w.tokens.hana, "/v1/approvals")],
    ["POST /v1/requests/{id}/approve", post(w.tokens.mike, `/v1/requests/${pending.id}/approve`, {})],
    ["POST /v1/requests/{id}/reject", post(w.tokens.mike, `/v1/requests/${toReject.id}/reject`, { comment: "busy week" })],
    ["POST /v1/requests/{id}/cancel", post(w.tokens.eli, `/v1/requests/${toCancel.id}/cancel`, {})],
    [
      "POST /v1/employees/{id}/ledger-entries",
      post(w.tokens.hana, `/v1/employees/${emma}/ledger-entries`, {
        policy_key: "pto",
        kind: "grant",
        amount: 1,
        effective_date: "2026-11-01",
        note: "rt",
      }),
    ],
    ["POST /v1/accruals/runs", post(w.tokens.hana, "/v1/accruals/runs", {})],
    ["POST /v1/rollovers (dry run)", post(w.tokens.sam, "/v1/rollovers", { year: 2026 })],
    ["GET /v1/reconciliation", get(w.tokens.sam, "/v1/reconciliation")],
    ["GET /v1/ledger-runs", get(w.tokens.ada, "/v1/ledger-runs")],
    ["GET /v1/holidays", get(w.tokens.emma, "/v1/holidays?year=2026")],
    ["GET /v1/audit/verification", get(w.tokens.ada, "/v1/audit/verification")],
  ];
  // Warm each caller's permission cache.
  for (const token of Object.values(w.tokens))
    expect((await w.api.send("/v1/me/permissions", { headers: bearer(token) })).status).toBe(200);

  const counted: Record<string, number> = {};
  const reported: Record<string, number> = {};
  for (const [name, send] of calls) {
    const app = `rt-${name.replace(/[^a-z]+/gi, "-")}`.slice(0, 60);
    const { points, METRICS } = recordingMetrics();
    const res = await send({ DATABASE_URL: dbConfig(app).DATABASE_URL, METRICS });
    expect(res.status, `${name}: ${await res.clone().text()}`).toBeLessThan(300);
    counted[name] = await roundTrips(app);
    reported[name] = points[0]!.doubles![2]!;
  }
  // Each request's metrics point counts what the database saw.
  expect(reported).toEqual(counted);
  // Sealing needs the subject's data key: read first when this isolate does not hold it yet (the first sealed
  // write of a person and year here, or a decision, whose caller knows only the request's id).
  const sealingReads: Record<string, number> = {
    "POST /v1/requests with a reason, Emma's first of 2027": 2,
    "POST /v1/requests/{id}/reject": 2,
  };
  expect(counted).toEqual(Object.fromEntries(calls.map(([name]) => [name, sealingReads[name] ?? 1])));
});
