import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { SuccessStatusCode } from "hono/utils/http-status";
import { userCaller } from "../auth/principal";
import { sha256Hex } from "../auth/secrets";
import { runInDatabase } from "../db/door";
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from "../kernel/constants";
import type { AppContext } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { requestFacts } from "./audit";

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
}

/**
 * Runs `operation` and answers with what the database function answered (the stored first answer on a
 * replay). The body was built in SQL in the shape of `response.schema`, the route's documented answer, which
 * the contract tests check against the OpenAPI document.
 */
export async function writeLedger<T extends z.ZodType, S extends SuccessStatusCode & (200 | 201)>(
  c: AppContext,
  operation: LedgerOperation,
  input: Record<string, unknown>,
  response: { schema: T; status: S },
) {
  const key = c.req.header(IDEMPOTENCY_KEY_HEADER)!;
  const facts = requestFacts(c);
  const payload = {
    ...input,
    idempotency_key: key,
    // The key's scope is the caller (the database adds who); the hash pins the operation and its input.
    request_hash: await sha256Hex(JSON.stringify([operation, input])),
    now: new Date(facts.now).toISOString(),
    facts: { ip: facts.ip, user_agent: facts.userAgent, request_id: facts.requestId },
  };
  const [result] = await runInDatabase(c.get("config"), userCaller(c.get("principal")), (db) => [
    db.execute<{ answer: LedgerAnswer }>(
      sql`select app.${sql.raw(LEDGER_FUNCTIONS[operation])}(${JSON.stringify(payload)}::jsonb) as answer`,
    ),
  ]);
  const answer = result.rows[0]!.answer;
  if (answer.status !== response.status)
    throw new AppError("INTERNAL_ERROR", "The ledger answered with an unexpected status", { status: answer.status });
  if (answer.replayed) c.header(REPLAYED_HEADER, "true");
  return c.json(answer.body as z.output<T>, response.status);
}
