import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  AccrualChunk,
  AccrualRunBody,
  ReconciliationQuery,
  ReconciliationReport,
  ReversalBody,
  ReversalChunk,
  RolloverBody,
  RolloverChunk,
  RunListQuery,
  RunPage,
  RunParams,
} from "./schemas";
import { listRuns, reconcile } from "./service";

const WRITE_ERRORS: ErrorCode[] = ["INVALID_INPUT", "VALIDATION_FAILED", "DUPLICATE_REQUEST", ...SIGNED_IN_ERRORS];

/** The demo tenant (`acme`): Sam Admin (System Admin), two of its ledger accounts, and the runs of the examples. */
const SAM_USER = "00000000-0000-4000-8100-000000000101";
const ROLLOVER_RUN = "7c2d9e4f-1a6b-4c83-9f0e-2b5a8d7c3e91";
const ACCRUAL_RUN = "e1a7c3f9-2d4b-4e86-b0f5-9c8a6d3e1b27";

const accruals = createRoute({
  method: "post",
  path: "/v1/accruals/runs",
  tags: ["Ledger runs"],
  operationId: "runAccruals",
  summary: "Run accruals",
  description:
    "Posts every due accrual, missed periods included, for one chunk of employees (by id), capped at each policy's maximum balance; " +
    "HR Admins and System Admins (the scheduler also runs it daily). Each period is posted once per account, so running it again is safe; " +
    "the same chunk expires carried-over days past their expiry. One chunk per call: repeat with `after` = the answer's `next_after` " +
    "until it is null, with one `Idempotency-Key` per chunk; audited as `accrual.run` when anything was posted.",
  ...signedIn("accrual:run"),
  request: { headers: IdempotencyHeaders, body: jsonBody(AccrualRunBody, { after: null, limit: 500 }) },
  responses: {
    200: jsonResponse("What this chunk posted", AccrualChunk, {
      employees: 6,
      accruals: 5,
      amount: 10.4165,
      carryover_expiries: 0,
      next_after: null,
    }),
    ...errorResponses(...WRITE_ERRORS),
  },
});

const rollover = createRoute({
  method: "post",
  path: "/v1/rollovers",
  tags: ["Ledger runs"],
  operationId: "runRollover",
  summary: "Run the year-end rollover",
  description:
    "Carries each account's posted balance on 31 December over to 1 January up to the policy's carry-over cap, and expires the rest; " +
    "System Admins only. With `dry_run` (the default) it reports the plan and writes nothing; the first real chunk opens the run, " +
    "whose `run_id` later chunks pass, and a year already rolled over is a `CONFLICT` until that run is reversed. One chunk of accounts " +
    "per call: repeat with `after` = the answer's `next_after` until it is null, with one `Idempotency-Key` per chunk; audited.",
  ...signedIn("rollover:run"),
  request: {
    headers: IdempotencyHeaders,
    body: jsonBody(RolloverBody, { year: 2026, dry_run: true, run_id: null, after: null, limit: 2 }),
  },
  responses: {
    200: jsonResponse("The plan (dry run) or what was posted", RolloverChunk, {
      year: 2026,
      dry_run: true,
      run_id: null,
      posted_entries: 0,
      balance: 56.9992,
      carried: 10,
      expired: 46.9992,
      accounts: [
        { employee_id: "00000000-0000-4000-8100-000000000204", policy_key: "pto-standard", balance: 26.9996, carry: 5, expire: 21.9996 },
        { employee_id: "00000000-0000-4000-8100-000000000201", policy_key: "pto-standard", balance: 29.9996, carry: 5, expire: 24.9996 },
      ],
      next_after: "2b7d4e90-6c1f-4a38-8d52-9e0f3a6b1c74",
    }),
    ...errorResponses("CONFLICT", ...WRITE_ERRORS),
  },
});

const reverse = createRoute({
  method: "post",
  path: "/v1/rollovers/{run_id}/reversal",
  tags: ["Ledger runs"],
  operationId: "reverseRollover",
  summary: "Reverse a rollover",
  description:
    "Reverses a rollover run, `limit` entries per call: each of its entries gets a `reversal` entry resolving it, in a reversal run " +
    "of its own; System Admins only. Repeat until `done`; the year may then be rolled over again. " +
    "Requires an `Idempotency-Key` (one per call); audited as `rollover.reverse`.",
  ...signedIn("rollover:run"),
  request: { headers: IdempotencyHeaders, params: RunParams, body: jsonBody(ReversalBody, { limit: 1000 }) },
  responses: {
    200: jsonResponse("Progress of the reversal", ReversalChunk, {
      run_id: ROLLOVER_RUN,
      reversal_run_id: "4b8e1f3a-7d2c-4a95-8e6f-1c3b9a5d2e70",
      reversed_entries: 15,
      done: true,
    }),
    ...errorResponses("RESOURCE_NOT_FOUND", ...WRITE_ERRORS),
  },
});

const reconciliation = createRoute({
  method: "get",
  path: "/v1/reconciliation",
  tags: ["Ledger runs"],
  operationId: "reconcileBalances",
  summary: "Reconcile balances",
  description:
    "Recomputes each ledger account's balance, and its newest snapshot's sums, from its entries and reports every account where " +
    "they disagree with the snapshots. Reads the whole history, so it checks a page of accounts per call: repeat with `after` = " +
    "`next_after` until it is null. System Admins only; writes nothing but its audit entry (`reconciliation.run`).",
  ...signedIn("reconciliation:run"),
  request: { query: ReconciliationQuery },
  responses: {
    200: jsonResponse("Drift found on this page of accounts", ReconciliationReport, {
      accounts_checked: 5,
      drifted: [
        {
          account_id: "0a4f6c2e-8b1d-4e73-9a5c-6d2f1b8e3c40",
          employee_id: "00000000-0000-4000-8100-000000000204",
          policy_key: "pto-standard",
          snapshot_id: 12,
          snapshot: { settled_to_date: 25.9163, settled_after: 0 },
          recomputed: { settled_to_date: 26.9163, settled_after: 0 },
          balance_from_snapshot: 25.9996,
          balance_from_entries: 26.9996,
        },
      ],
      next_after: null,
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const runList = createRoute({
  method: "get",
  path: "/v1/ledger-runs",
  tags: ["Ledger runs"],
  operationId: "listLedgerRuns",
  summary: "List ledger runs",
  description:
    "Accrual, rollover and reversal runs of the tenant, newest first, offset-paginated and filterable by kind; each names the run " +
    "that reversed it, if any. HR Admins, System Admins and Auditors.",
  ...signedIn("tenant:read"),
  request: { query: RunListQuery },
  responses: {
    200: jsonResponse("A page of runs", RunPage, {
      data: [
        {
          id: ROLLOVER_RUN,
          kind: "rollover",
          period: "2026",
          reverses_run_id: null,
          reversed_by_run_id: null,
          actor_id: SAM_USER,
          summary: { year: 2026 },
          started_at: "2027-01-04T09:00:12.845213+00:00",
        },
        {
          id: ACCRUAL_RUN,
          kind: "accrual",
          period: "2027-01-01",
          reverses_run_id: null,
          reversed_by_run_id: null,
          actor_id: "system:scheduler",
          summary: { after: null, employees: 6, accruals: 5, amount: 12.5, carryover_expiries: 0 },
          started_at: "2027-01-01T02:00:03.271094+00:00",
        },
      ],
      total: 14,
      offset: 0,
      limit: 2,
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

export const ledgerRunRoutes = createRouter()
  .openapi(runList, async (c) => c.json(await listRuns(c.get("config"), c.get("principal"), c.req.valid("query")), 200))
  .openapi(accruals, (c) => writeLedger(c, "accrue", c.req.valid("json"), { schema: AccrualChunk, status: 200 }))
  .openapi(rollover, (c) => writeLedger(c, "rollover", c.req.valid("json"), { schema: RolloverChunk, status: 200 }))
  .openapi(reverse, (c) =>
    writeLedger(
      c,
      "reverseRollover",
      { run_id: c.req.valid("param").run_id, ...c.req.valid("json") },
      { schema: ReversalChunk, status: 200 },
    ),
  )
  .openapi(reconciliation, async (c) => {
    const { after, limit } = c.req.valid("query");
    return c.json(await reconcile(c.get("config"), requestFacts(c), c.get("principal"), after ?? null, limit, c.get("now")), 200);
  });
