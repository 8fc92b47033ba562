import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { SuccessStatusCode } from "hono/utils/http-status";
import { userCaller } from "../auth/principal";
import { recordSignal, type SecuritySignal } from "../auth/security-signals";
import { requestHashes } from "../crypto/request-hash";
import { runInDatabase } from "../db/door";
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from "../kernel/constants";
import type { AppContext } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { ledgerFacts, requestFacts } from "./audit";
import { type DataKeyJson, forgetSealingKey, KeyRing, type SealingKey, type Subject, sealedWith, sealingKeyFor } from "./sealing";

/**
 * Every write with ledger effects goes through one of these database functions (migrations/functions), in one
 * round trip: the Idempotency-Key is claimed, the rules checked, the ledger written, the action audited and
 * the answer stored — all in one transaction. A replay of the key returns the stored answer.
 */
const LEDGER_FUNCTIONS = {
  submit: "submit_leave_request",
  decide: "decide_leave_request",
  cancel: "cancel_leave_request",
  adjust: "post_adjustment",
  accrue: "post_accruals",
  rollover: "year_end_rollover",
  reverseRollover: "reverse_rollover",
  terminate: "terminate_employee",
  comment: "add_request_comment",
} as const;
export type LedgerOperation = keyof typeof LEDGER_FUNCTIONS;

/** Declared on every POST with ledger effects: the header is required (400 VALIDATION_FAILED without it). */
export const IdempotencyHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "1 to 255 visible ASCII characters")
    .openapi({
      param: { name: IDEMPOTENCY_KEY_HEADER, in: "header" },
      description: "Replaying a key returns the first answer; the same key with another request is DUPLICATE_REQUEST.",
      example: "2f1c3b6e-submit-1",
    }),
});

interface LedgerAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
  /** The data keys the answer's sealed fields need (a replay's stored answer has none: they are read if needed). */
  keys?: Record<string, DataKeyJson>;
  /** Security signals the write raised (migrations/functions/97_security_signals.sql), for their metrics. */
  signals?: SecuritySignal[];
}

/** How a write treats confidential fields: whose key seals them, how, and how its answer is opened. */
export interface ConfidentialWrite {
  /** The employee and year whose key seals the input's confidential fields (and the key, if already read); null when there are none. */
  subject(): Promise<{ subject: Subject; stored?: DataKeyJson | null } | null>;
  /** The sealed fields (and the ids they are bound to) that replace the plaintext ones in what the database gets. */
  seal(key: SealingKey): Promise<Record<string, unknown>>;
  /** The answer with its sealed fields opened. */
  open(body: unknown, ring: KeyRing): Promise<unknown>;
}

/**
 * Runs `operation` and answers with what the database function answered (the stored first answer on a
 * replay). The body was built in SQL in the shape of `response.schema`, the route's documented answer, which
 * the contract tests check against the OpenAPI document. Confidential fields are sealed before they leave the
 * Worker, and the answer's opened after: plaintext is never sent to the database nor stored with the answer.
 */
export async function writeLedger<T extends z.ZodType, S extends SuccessStatusCode & (200 | 201)>(
  c: AppContext,
  operation: LedgerOperation,
  input: Record<string, unknown>,
  response: { schema: T; status: S },
  confidential?: ConfidentialWrite,
) {
  const config = c.get("config");
  const principal = c.get("principal");
  const facts = requestFacts(c);
  const base = {
    ...input,
    idempotency_key: c.req.header(IDEMPOTENCY_KEY_HEADER)!,
    // The key's scope is the caller (the database adds who); the hash pins the operation and its plaintext input.
    ...(await requestHashes(config, operation, input)),
    now: new Date(facts.now).toISOString(),
    facts: ledgerFacts(facts),
    // Grants and adjustments count towards the bulk_adjustments security signal.
    ...(operation === "adjust"
      ? { bulk_rule: { threshold: config.SECURITY_BULK_ADJUSTMENTS, window_minutes: config.SECURITY_BULK_WINDOW_MINUTES } }
      : {}),
  };
  const run = async (key: SealingKey | null) => {
    const payload = key && confidential ? { ...base, ...(await confidential.seal(key)), data_key: key.param } : base;
    const [result] = await runInDatabase(config, userCaller(principal), (db) => [
      db.execute<{ answer: LedgerAnswer }>(
        sql`select app.${sql.raw(LEDGER_FUNCTIONS[operation])}(${JSON.stringify(payload)}::jsonb) as answer`,
      ),
    ]);
    return result.rows[0]!.answer;
  };

  const target = confidential ? await confidential.subject() : null;
  let key = target ? await sealingKeyFor(config, principal, target.subject, facts.now, target.stored) : null;
  const storedInstead = (error: unknown) =>
    error instanceof AppError && error.code === "CONFLICT" ? (error.details.data_key as DataKeyJson | undefined) : undefined;
  let answer: LedgerAnswer;
  try {
    answer = await run(key);
  } catch (error) {
    if (!target) throw error;
    forgetSealingKey(principal.tenantId, target.subject);
    // Another write stored the subject's first key meanwhile: seal again with that one (nothing was written).
    const stored = storedInstead(error);
    if (!stored) throw error;
    key = await sealingKeyFor(config, principal, target.subject, facts.now, stored);
    answer = await run(key).catch((again: unknown) => {
      // Never hand the stored key's wrapping to the client, even wrapped.
      throw storedInstead(again) ? new AppError("CONFLICT", "The data key changed while the request was sealed; try again") : again;
    });
  }
  // A replay answers what was stored before: the key made for this attempt was never stored.
  if (target && key && !answer.replayed) sealedWith(principal.tenantId, target.subject, key, facts.now);

  if (answer.status !== response.status)
    throw new AppError("INTERNAL_ERROR", "The ledger answered with an unexpected status", { status: answer.status });
  if (answer.replayed) c.header(REPLAYED_HEADER, "true");
  for (const signal of answer.signals ?? []) recordSignal(c.env.METRICS, principal.tenantId, signal);
  const body = confidential ? await confidential.open(answer.body, new KeyRing(config, principal, facts.now, answer.keys)) : answer.body;
  return c.json(body as z.output<T>, response.status);
}
