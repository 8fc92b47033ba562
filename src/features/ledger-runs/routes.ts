import { createRoute } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import { signedIn } from "../../auth/guard";
import type { ErrorCode } from "../../edge/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../edge/openapi";
import { IdempotencyHeaders, writeLedger } from "../../ledger/write";
import { requestFacts } from "../audit/record";
import { reconcile } from "./reconciliation";
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

const WRITE_ERRORS: ErrorCode[] = ["INVALID_INPUT", "VALIDATION_FAILED", "DUPLICATE_REQUEST", ...SIGNED_IN_ERRORS];
const CHUNKED = "One chunk per call: repeat with `after` = the answer's `next_after` until it is null. Idempotent (one Idempotency-Key per chunk), audited.";

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
  summary: "Recompute balances from their entries and compare with their snapshots; report any drift (System Admin). A page of accounts per call. Audited.",
  ...signedIn("reconciliation:run"),
  request: { query: ReconciliationQuery },
  responses: { 200: jsonResponse("Drift found on this page of accounts", ReconciliationReport), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

const listRuns = createRoute({
  method: "get",
  path: "/v1/ledger-runs",
  tags: ["Ledger runs"],
  summary: "Accrual, rollover and reversal runs of the tenant, newest first (HR Admin, System Admin, Auditor)",
  ...signedIn("tenant:read"),
  request: { query: RunListQuery },
  responses: { 200: jsonResponse("A page of runs", RunPage), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

export const ledgerRunRoutes = createRouter()
  .openapi(listRuns, async (c) => {
    const { kind, offset, limit } = c.req.valid("query");
    const principal = c.get("principal");
    const which = sql`r.tenant_id = ${principal.tenantId} and (${kind ?? null}::ledger_run_kind is null or r.kind = ${kind ?? null}::ledger_run_kind)`;
    const [rows, totals] = await runInDatabase(c.get("config"), userCaller(principal), (db) => [
      db.execute<{ run: Record<string, unknown> }>(sql`select jsonb_build_object('id', r.id, 'kind', r.kind, 'period', r.period, 'reverses_run_id', r.reverses_run_id,
          'reversed_by_run_id', (select x.id from ledger_runs x where x.reverses_run_id = r.id), 'actor_id', r.actor_id, 'summary', r.summary,
          'started_at', r.started_at) as run
        from ledger_runs r where ${which} order by r.started_at desc, r.id offset ${offset} limit ${limit}`),
      db.execute<{ total: number }>(sql`select count(*)::int as total from ledger_runs r where ${which}`),
    ], { readOnly: true });
    return c.json({ data: rows.rows.map((r) => r.run), total: totals.rows[0]!.total, offset, limit } as never, 200);
  })
  .openapi(accruals, (c) => writeLedger(c, "accrue", c.req.valid("json")) as never)
  .openapi(rollover, (c) => writeLedger(c, "rollover", c.req.valid("json")) as never)
  .openapi(reverse, (c) => writeLedger(c, "reverseRollover", { run_id: c.req.valid("param").run_id, ...c.req.valid("json") }) as never)
  .openapi(reconciliation, async (c) => {
    const { after, limit } = c.req.valid("query");
    return c.json(await reconcile(c.get("config"), requestFacts(c), c.get("principal"), after ?? null, limit, c.get("now")), 200);
  });
