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
const CHUNKED =
  "One chunk per call: repeat with `after` = the answer's `next_after` until it is null. Idempotent (one Idempotency-Key per chunk), audited.";

const accruals = createRoute({
  method: "post",
  path: "/v1/accruals/runs",
  tags: ["Ledger runs"],
  summary: `Post every due accrual, missed periods included, for a chunk of employees (HR Admin, System Admin). Safe to run any number of times. ${CHUNKED}`,
  ...signedIn("accrual:run"),
  request: { headers: IdempotencyHeaders, body: jsonBody(AccrualRunBody) },
  responses: { 200: jsonResponse("What this chunk posted", AccrualChunk), ...errorResponses(...WRITE_ERRORS) },
});

const rollover = createRoute({
  method: "post",
  path: "/v1/rollovers",
  tags: ["Ledger runs"],
  summary: `Year-end rollover (System Admin): carry each balance over up to the policy's cap and expire the rest; \`dry_run\` reports and writes nothing. ${CHUNKED}`,
  ...signedIn("rollover:run"),
  request: { headers: IdempotencyHeaders, body: jsonBody(RolloverBody) },
  responses: { 200: jsonResponse("The plan (dry run) or what was posted", RolloverChunk), ...errorResponses("CONFLICT", ...WRITE_ERRORS) },
});

const reverse = createRoute({
  method: "post",
  path: "/v1/rollovers/{run_id}/reversal",
  tags: ["Ledger runs"],
  summary: "Reverse a rollover run with a reversal entry for each of its entries (System Admin). Repeat until `done`. Idempotent, audited.",
  ...signedIn("rollover:run"),
  request: { headers: IdempotencyHeaders, params: RunParams, body: jsonBody(ReversalBody) },
  responses: { 200: jsonResponse("Progress of the reversal", ReversalChunk), ...errorResponses("RESOURCE_NOT_FOUND", ...WRITE_ERRORS) },
});

const reconciliation = createRoute({
  method: "get",
  path: "/v1/reconciliation",
  tags: ["Ledger runs"],
  summary:
    "Recompute balances from their entries and compare with their snapshots; report any drift (System Admin). A page of accounts per call. Audited.",
  ...signedIn("reconciliation:run"),
  request: { query: ReconciliationQuery },
  responses: {
    200: jsonResponse("Drift found on this page of accounts", ReconciliationReport),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const runList = createRoute({
  method: "get",
  path: "/v1/ledger-runs",
  tags: ["Ledger runs"],
  summary: "Accrual, rollover and reversal runs of the tenant, newest first (HR Admin, System Admin, Auditor)",
  ...signedIn("tenant:read"),
  request: { query: RunListQuery },
  responses: { 200: jsonResponse("A page of runs", RunPage), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
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
