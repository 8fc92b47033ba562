import { z } from "@hono/zod-openapi";
import { RUN_KINDS } from "../../db/schema";
import { CHUNK_LIMITS } from "../../kernel/constants";
import { OffsetQuery, queryInteger } from "../../kernel/pagination";

const after = z.uuid().nullable().default(null).openapi({ description: "`next_after` of the previous chunk; null to start" });
const nextAfter = (what: string) =>
  z
    .uuid()
    .nullable()
    .openapi({ description: `The last ${what} of this chunk: pass it as \`after\` for the next one; null when done` });

export const AccrualRunBody = z
  .object({
    after,
    limit: z
      .number()
      .int()
      .min(1)
      .max(CHUNK_LIMITS.accruals.max)
      .default(CHUNK_LIMITS.accruals.default)
      .openapi({ description: "Employees per chunk" }),
  })
  .openapi("AccrualRun");
export const AccrualChunk = z
  .object({
    employees: z.number().int().openapi({ description: "Employees in this chunk" }),
    accruals: z.number().int().openapi({ description: "Accrual entries posted" }),
    amount: z.number().openapi({ description: "Their total, in the policies' units" }),
    carryover_expiries: z.number().int().openapi({ description: "Expiry entries posted for carried-over days past their expiry" }),
    next_after: nextAfter("employee id"),
  })
  .openapi("AccrualChunk");

export const RolloverBody = z
  .object({
    year: z.number().int().min(2000).max(2100).openapi({ description: "The year that ends" }),
    dry_run: z.boolean().default(true).openapi({ description: "Report what would happen and write nothing (the default)" }),
    run_id: z.uuid().nullable().default(null).openapi({ description: "The run the first real chunk opened; null for the first chunk" }),
    after,
    limit: z
      .number()
      .int()
      .min(1)
      .max(CHUNK_LIMITS.rollover.max)
      .default(CHUNK_LIMITS.rollover.default)
      .openapi({ description: "Ledger accounts per chunk" }),
  })
  .openapi("Rollover");
export const RolloverChunk = z
  .object({
    year: z.number().int(),
    dry_run: z.boolean(),
    run_id: z.uuid().nullable().openapi({ description: "The rollover run; null on a dry run without `run_id`" }),
    posted_entries: z.number().int().openapi({ description: "Entries written by this chunk (0 on a dry run)" }),
    balance: z.number().openapi({ description: "The chunk's accounts' posted balances on 31 December, summed" }),
    carried: z.number().openapi({ description: "Carried over to 1 January, summed" }),
    expired: z.number().openapi({ description: "Expired on 31 December, summed" }),
    accounts: z
      .array(
        z.object({
          employee_id: z.uuid(),
          policy_key: z.string(),
          balance: z.number().openapi({ description: "Posted balance on 31 December, in the policy's unit" }),
          carry: z.number().openapi({ description: "Carried over: the balance up to the policy's cap (0 when not positive)" }),
          expire: z.number().openapi({ description: "What expires: the rest of a positive balance" }),
        }),
      )
      .openapi({ description: "One per ledger account of the chunk not yet rolled over in this run, by account id" }),
    next_after: nextAfter("ledger account id"),
  })
  .openapi("RolloverChunk");

export const RunParams = z.object({
  run_id: z.uuid().openapi({
    param: { name: "run_id", in: "path" },
    description: "The rollover run to reverse",
    example: "7c2d9e4f-1a6b-4c83-9f0e-2b5a8d7c3e91",
  }),
});
export const ReversalBody = z
  .object({
    limit: z
      .number()
      .int()
      .min(1)
      .max(CHUNK_LIMITS.reversal.max)
      .default(CHUNK_LIMITS.reversal.default)
      .openapi({ description: "Entries reversed per call" }),
  })
  .openapi("RolloverReversal");
export const ReversalChunk = z
  .object({
    run_id: z.uuid().openapi({ description: "The rollover run being reversed" }),
    reversal_run_id: z.uuid().openapi({ description: "The run the reversal entries belong to (the same for every call)" }),
    reversed_entries: z.number().int().openapi({ description: "Entries reversed by this call" }),
    done: z.boolean().openapi({ description: "Whether every entry of the run is reversed (then the year may be rolled over again)" }),
  })
  .openapi("RolloverReversalChunk");

export const ReconciliationQuery = z.object({
  after: z.uuid().optional().openapi({ description: "`next_after` of the previous page of accounts" }),
  limit: queryInteger(1, 1_000).default(200).openapi({ description: "Ledger accounts per page" }),
});
const Sums = z.object({
  settled_to_date: z.number().openapi({ description: "Settled entries effective on or before the snapshot's date, summed" }),
  settled_after: z.number().openapi({ description: "Settled entries effective after it, summed" }),
});
export const ReconciliationReport = z
  .object({
    accounts_checked: z.number().int().openapi({ description: "Ledger accounts checked on this page" }),
    drifted: z
      .array(
        z.object({
          account_id: z.uuid().openapi({ description: "The ledger account (one per employee and policy)" }),
          employee_id: z.uuid(),
          policy_key: z.string(),
          snapshot_id: z.number().int().nullable().openapi({ description: "The account's newest balance snapshot; null when it has none" }),
          snapshot: Sums.nullable().openapi({ description: "What that snapshot stored; null without a snapshot" }),
          recomputed: Sums.nullable().openapi({
            description: "The same sums recomputed from the entries it covers; null without a snapshot",
          }),
          balance_from_snapshot: z
            .number()
            .openapi({ description: "Posted balance as the API computes it: the snapshot plus later entries" }),
          balance_from_entries: z.number().openapi({ description: "Posted balance summed from every settled entry" }),
        }),
      )
      .openapi({ description: "Accounts whose snapshot or balance disagrees with their entries; empty when all agree" }),
    next_after: z
      .uuid()
      .nullable()
      .openapi({ description: "The last account id of this page: pass it as `after` for the next one; null when done" }),
  })
  .openapi("ReconciliationReport");

export const RunListQuery = OffsetQuery.extend({ kind: z.enum(RUN_KINDS).optional().openapi({ description: "Only runs of this kind" }) });
export const LedgerRun = z
  .object({
    id: z.uuid(),
    kind: z.enum(RUN_KINDS),
    period: z
      .string()
      .openapi({ description: "Accrual runs: the UTC date they ran (YYYY-MM-DD); rollovers and their reversals: the year" }),
    reverses_run_id: z.uuid().nullable().openapi({ description: "The run this one reverses; null unless a reversal" }),
    reversed_by_run_id: z.uuid().nullable().openapi({ description: "The run that reverses this one; null when none does" }),
    actor_id: z.string().openapi({ description: "The user id of who ran it, or `system:scheduler` for scheduled accruals" }),
    summary: z.record(z.string(), z.unknown()).openapi({
      description:
        "Figures recorded when it ran: `employees`, `accruals`, `amount`, `carryover_expiries` (and `after`) for accruals, " +
        "`year` for rollovers, `reverses` for reversals",
    }),
    started_at: z.iso.datetime({ offset: true }),
  })
  .openapi("LedgerRun");
export const RunPage = z
  .object({
    data: z.array(LedgerRun),
    total: z.number().int().openapi({ description: "Runs matching, across all pages" }),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .openapi("LedgerRunPage");
