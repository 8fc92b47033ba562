import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { ENTRY_KINDS } from "../db/schema";
import type { Principal } from "../kernel/context";
import { CalendarDate } from "../kernel/dates";
import { logConfidentialReads, type RequestFacts } from "./audit";
import type { ConfidentialWrite } from "./ledger-write";
import { type DataKeyJson, type KeyRing, seal } from "./sealing";

export const LedgerEntrySchema = z
  .object({
    id: z.number().int().openapi({ description: "The entry's number: later postings have higher ones" }),
    employee_id: z.uuid(),
    policy_key: z.string(),
    policy_version_id: z.uuid().nullable().openapi({ description: "The policy version it was posted under; null when none" }),
    kind: z.enum(ENTRY_KINDS).openapi({
      description:
        "`accrual`, `grant` and `adjustment` credit or correct; `hold` and `hold_release` place and release a pending request's hold; " +
        "`usage` is an approved leave day; `carryover_out`, `carryover_in` and `expiry` come from the year-end rollover and " +
        "carry-over expiry; `reversal` undoes the entry it resolves",
    }),
    amount: z
      .number()
      .openapi({ description: "Signed, in the policy's unit: credits are positive, debits (holds, usage, expiries) negative" }),
    effective_date: CalendarDate.openapi({ description: "The day it counts for (a leave day, an accrual period's first day, …)" }),
    recorded_at: z.iso.datetime({ offset: true }).openapi({ description: "When it was posted" }),
    reference: z.string().openapi({
      description: "What posted it, unique per account: e.g. `request:{id}:hold`, `accrual:2026-12`, `manual:{user id}:{Idempotency-Key}`",
    }),
    request_id: z.uuid().nullable().openapi({ description: "The leave request it belongs to; null for other entries" }),
    run_id: z.uuid().nullable().openapi({ description: "The accrual, rollover or reversal run that posted it; null for other entries" }),
    resolves_entry_id: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The entry it resolves (a hold release its hold, a reversal the entry it reverses); null otherwise" }),
    expires_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "Holds only: when the hold stops counting if the request is still pending; null for other kinds" }),
    note: z
      .string()
      .nullable()
      .openapi({
        description:
          "HR's note on grants and adjustments (null once the employee's data was erased); the system's on the entries it posts " +
          "(a hold release's outcome, the rollover's year); null when none",
      }),
  })
  .openapi("LedgerEntry");

export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** An entry as the database builds it (`app.entry_json`): HR's note sealed, with the key that opens it, and the system's note apart. */
export type StoredEntry = LedgerEntry & { data_key_id: string | null; system_note: string | null };

/** A stored entry, read with the key its note needs. */
export type StoredEntryRow = { entry: StoredEntry; keys: Record<string, DataKeyJson> };

/**
 * Where a note is bound: the entry's account (employee and policy) and its reference, unique in the account —
 * known before the entry exists, unlike its number.
 */
export const notePlace = (entry: Pick<LedgerEntry, "employee_id" | "policy_key" | "reference">) => ({
  table: "ledger_entries",
  column: "note",
  row: `${entry.employee_id}/${entry.policy_key}/${entry.reference}`,
});

/** The entry as the API shows it: HR's note opened, or the system's. */
export async function openEntry(ring: KeyRing, stored: StoredEntry): Promise<LedgerEntry> {
  const { data_key_id, system_note, ...entry } = stored;
  await ring.require([data_key_id]);
  return { ...entry, note: (await ring.open(data_key_id, notePlace(entry), entry.note)) ?? system_note };
}

/**
 * Entries that `where` selects (over `e`), in `order`, at most `limit` (+ `extra` not shown), with the keys their
 * notes need; in the same statement, one `confidential.read` audit row for another person's notes shown.
 */
export function entriesRead(facts: RequestFacts, principal: Principal, where: SQL, order: SQL, limit: number, extra = 0) {
  return sql`with page as (
      select e, e.id, e.employee_id, row_number() over (order by ${order}) as n
      from ledger_entries e where e.tenant_id = ${principal.tenantId} and ${where} order by ${order} limit ${limit + extra}
    ), logged as (${logConfidentialReads(facts, principal, "ledger_entry", sql`p.n <= ${limit} and (p.e).note is not null and (p.e).kind in ('grant', 'adjustment')`)})
    select app.entry_json(p.e) as entry, app.entry_keys(p.e) as keys from page p order by p.n`;
}

/**
 * Posting a grant or adjustment: HR's note is sealed with the employee's key for the effective date's year,
 * bound to the reference the database gives a manual entry (`manual:{user}:{Idempotency-Key}`).
 */
export function adjustmentNote(
  principal: Principal,
  idempotencyKey: string,
  input: { employee_id: string; policy_key: string; effective_date: string; note?: string | undefined },
): ConfidentialWrite {
  const reference = `manual:${principal.userId}:${idempotencyKey}`;
  const { note } = input;
  return {
    subject: async () =>
      note === undefined ? null : { subject: { employeeId: input.employee_id, year: Number(input.effective_date.slice(0, 4)) } },
    seal: async (key) => ({ note: await seal(key, { tenantId: principal.tenantId, ...notePlace({ ...input, reference }) }, note!) }),
    open: (body, ring) => openEntry(ring, body as StoredEntry),
  };
}
