import { z } from "@hono/zod-openapi";
import { RUN_KINDS } from "../../db/schema";
import { CHUNK_LIMITS } from "../../kernel/constants";
import { OffsetQuery } from "../../kernel/pagination";

const after = z.uuid().nullable().default(null).openapi({ description: "`next_after` of the previous chunk; null to start" });

export const AccrualRunBody = z
  .object({ after, limit: z.number().int().min(1).max(CHUNK_LIMITS.accruals.max).default(CHUNK_LIMITS.accruals.default) })
  .openapi("AccrualRun");
export const AccrualChunk = z
  .object({
    employees: z.number().int(),
    accruals: z.number().int(),
    amount: z.number(),
    carryover_expiries: z.number().int(),
    next_after: z.uuid().nullable(),
  })
  .openapi("AccrualChunk");

export const RolloverBody = z
  .object({
    year: z.number().int().min(2000).max(2100),
    dry_run: z.boolean().default(true).openapi({ description: "Report what would happen and write nothing (the default)" }),
    run_id: z.uuid().nullable().default(null).openapi({ description: "The run the first real chunk opened; null for the first chunk" }),
    after,
    limit: z.number().int().min(1).max(CHUNK_LIMITS.rollover.max).default(CHUNK_LIMITS.rollover.default),
  })
  .openapi("Rollover");
export const RolloverChunk = z
  .object({
    year: z.number().int(),
    dry_run: z.boolean(),
    run_id: z.uuid().nullable(),
    posted_entries: z.number().int(),
    balance: z.number(),
    carried: z.number(),
    expired: z.number(),
    accounts: z.array(
      z.object({ employee_id: z.uuid(), policy_key: z.string(), balance: z.number(), carry: z.number(), expire: z.number() }),
    ),
    next_after: z.uuid().nullable(),
  })
  .openapi("RolloverChunk");

export const RunParams = z.object({ run_id: z.uuid().openapi({ param: { name: "run_id", in: "path" } }) });
export const ReversalBody = z
  .object({ limit: z.number().int().min(1).max(CHUNK_LIMITS.reversal.max).default(CHUNK_LIMITS.reversal.default) })
  .openapi("RolloverReversal");
export const ReversalChunk = z
  .object({ run_id: z.uuid(), reversal_run_id: z.uuid(), reversed_entries: z.number().int(), done: z.boolean() })
  .openapi("RolloverReversalChunk");

export const ReconciliationQuery = z.object({
  after: z.uuid().optional().openapi({ description: "`next_after` of the previous page of accounts" }),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});
const Sums = z.object({ settled_to_date: z.number(), settled_after: z.number() });
export const ReconciliationReport = z
  .object({
    accounts_checked: z.number().int(),
    drifted: z.array(
      z.object({
        account_id: z.uuid(),
        employee_id: z.uuid(),
        policy_key: z.string(),
        snapshot_id: z.number().int().nullable(),
        snapshot: Sums.nullable(),
        recomputed: Sums.nullable(),
        balance_from_snapshot: z.number(),
        balance_from_entries: z.number(),
      }),
    ),
    next_after: z.uuid().nullable(),
  })
  .openapi("ReconciliationReport");

export const RunListQuery = OffsetQuery.extend({ kind: z.enum(RUN_KINDS).optional() });
export const LedgerRun = z
  .object({
    id: z.uuid(),
    kind: z.enum(RUN_KINDS),
    period: z.string(),
    reverses_run_id: z.uuid().nullable(),
    reversed_by_run_id: z.uuid().nullable(),
    actor_id: z.string(),
    summary: z.record(z.string(), z.unknown()),
    started_at: z.string(),
  })
  .openapi("LedgerRun");
export const RunPage = z
  .object({ data: z.array(LedgerRun), total: z.number().int(), offset: z.number().int(), limit: z.number().int() })
  .openapi("LedgerRunPage");
