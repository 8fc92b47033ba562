import { AppError, ERROR_CODES, type ErrorCode } from "../kernel/errors";

/** What went wrong in the database, independent of the driver. */
export type DbErrorKind = "not_found" | "constraint" | "permission" | "retryable" | "timeout" | "connection" | "internal";

interface PgErrorLike {
  name?: string;
  message?: string;
  code?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  sourceError?: unknown;
}

const RETRYABLE = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected
/**
 * HINT of `app.claims()` refusing claims the Worker did not sign (or that expired, or whose key is not
 * installed): insufficient_privilege, but never the caller's fault. Only our own bug or a missing key produces
 * it, so it is a 500 (reported), not a 403.
 */
export const CLAIMS_REFUSED_HINT = "CLAIMS_NOT_SIGNED";
const TIMEOUT = new Set(["57014", "55P03"]); // query_canceled (statement_timeout), lock_not_available

export function classifyDbError(error: unknown): DbErrorKind {
  const e = (error ?? {}) as PgErrorLike;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timeout";
  if (code) {
    if (RETRYABLE.has(code)) return "retryable";
    if (TIMEOUT.has(code)) return "timeout";
    if (code === "P0002" || code === "02000") return "not_found";
    if (code === "42501") return e.hint === CLAIMS_REFUSED_HINT ? "internal" : "permission";
    if (code.startsWith("23")) return "constraint";
    if (code.startsWith("08") || code.startsWith("53") || code.startsWith("57P")) return "connection";
    return "internal";
  }
  const sourceName = (e.sourceError as { name?: string } | undefined)?.name;
  if (sourceName === "TimeoutError" || sourceName === "AbortError") return "timeout";
  // The driver's own failures carry no SQLSTATE: the endpoint could not be reached or answered 5xx.
  if (e.name === "NeonDbError" && /Error connecting to database|Server error \(HTTP status 5\d\d\)/.test(e.message ?? "")) {
    return "connection";
  }
  return "internal";
}

/** SQLSTATE of a rule the database refused (`app.fail`, migrations/functions/15_refusals.sql): the API code is the HINT, details the DETAIL. */
const REFUSED = "LL001";

function refusal(error: PgErrorLike): AppError | null {
  if (error.code !== REFUSED || !error.hint || !(error.hint in ERROR_CODES)) return null;
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(error.detail ?? "{}") as Record<string, unknown>;
  } catch {
    // a refusal without readable details still carries its code and message
  }
  return new AppError(error.hint as ErrorCode, error.message ?? error.hint, details, { cause: error });
}

/** The API's answer for a database failure: nothing internal (SQL, constraint names) reaches the body. */
export function dbErrorToAppError(error: unknown): AppError {
  const refused = refusal((error ?? {}) as PgErrorLike);
  if (refused) return refused;
  const kind = classifyDbError(error);
  switch (kind) {
    case "not_found":
      return new AppError("RESOURCE_NOT_FOUND", "Resource not found", {}, { cause: error });
    case "constraint":
      return new AppError("CONFLICT", "The change conflicts with existing data", {}, { cause: error });
    case "permission":
      return new AppError("FORBIDDEN", "Not allowed", {}, { cause: error });
    case "retryable":
      return new AppError(
        "SERVICE_UNAVAILABLE",
        "The database is busy; retry the request",
        {},
        { cause: error, headers: { "Retry-After": "1" } },
      );
    case "timeout":
    case "connection":
      return new AppError("SERVICE_UNAVAILABLE", "The database is unavailable; retry later", { dependency: "database" }, { cause: error });
    case "internal":
      return new AppError("DATABASE_ERROR", "The database could not complete the operation", {}, { cause: error });
  }
}
