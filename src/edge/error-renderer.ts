import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { raiseSignalApart, recordSignal, requestFacts, SELF_SERVING_REASONS } from "../auth/security-signals";
import type { AppEnv } from "../kernel/context";
import { AppError, errorResponse, fromHttpException } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import { describeError, log } from "../kernel/logger";
import { reportError } from "../kernel/sentry";
import { routePattern } from "./access-log";

/** Codes that mean a bug or a broken dependency rather than a bad request: logged and sent to Sentry. */
const REPORTED = new Set(["INTERNAL_ERROR", "DATABASE_ERROR", "DATA_INTEGRITY", "ENCRYPTION_KEY_UNAVAILABLE"]);

/** The one place an error becomes a response: everything answers in the same shape. */
export const renderError: ErrorHandler<AppEnv> = (thrown, c) => {
  const error =
    thrown instanceof AppError
      ? thrown
      : thrown instanceof HTTPException
        ? fromHttpException(thrown)
        : new AppError("INTERNAL_ERROR", "Internal error", {}, { cause: thrown });
  if (error.status >= 500 && error.code !== "CONFIG_INVALID") {
    const route = routePattern(c);
    log(REPORTED.has(error.code) ? "error" : "warn", "request_failed", {
      request_id: c.get("requestId"),
      route,
      code: error.code,
      error: describeError(error.options.cause ?? error),
    });
    if (REPORTED.has(error.code)) {
      let executionCtx: ExecutionContext | undefined;
      try {
        executionCtx = c.executionCtx as ExecutionContext;
      } catch {
        executionCtx = undefined; // app.request() in unit tests has none
      }
      reportError(c.get("config"), executionCtx, c.req.raw, error.options.cause ?? error, {
        requestId: c.get("requestId"),
        route,
        code: error.code,
        traceId: c.get("trace")?.traceId,
        userId: c.get("principal")?.userId,
      });
    }
  }
  c.set("failure", { code: error.code, ...(typeof error.details.reason === "string" ? { reason: error.details.reason } : {}) });
  signalSelfServing(c, error);
  return errorResponse(c, error);
};

const SELF_SERVING_SIGNAL_INTERVAL_MS = 60_000;
const recentlySignalled = new ExpiringCache<true>(10_000);

/** Forgets which refusals were signalled lately (tests). */
export function forgetSignalledRefusals(): void {
  recentlySignalled.clear();
}

/**
 * A refusal of someone trying to serve themself (deciding their own request, adjusting their own balance) is a
 * security signal, recorded after the answer in a transaction of its own (the refused one wrote nothing).
 */
function signalSelfServing(c: Context<AppEnv>, error: AppError): void {
  const principal = c.get("principal");
  const reason = error.details.reason;
  if (error.code !== "FORBIDDEN" || typeof reason !== "string" || !SELF_SERVING_REASONS.has(reason) || !principal) return;
  // One signal a minute per person, reason and isolate: a script hammering the refusal does not flood the log.
  const seen = `${principal.userId}:${reason}`;
  if (recentlySignalled.get(seen, c.get("now"))) return;
  recentlySignalled.set(seen, true, c.get("now"), c.get("now") + SELF_SERVING_SIGNAL_INTERVAL_MS);
  const facts = requestFacts(c);
  const route = routePattern(c);
  const signal = {
    kind: "self_serving_refused" as const,
    actorType: principal.kind,
    actorId: principal.kind === "api_key" ? (principal.keyId ?? null) : principal.userId,
    targetType: "route",
    targetId: route,
    data: { user_id: principal.userId, refused: reason, route },
  };
  recordSignal(c.env.METRICS, principal.tenantId, signal.kind);
  c.executionCtx.waitUntil(
    raiseSignalApart(c.get("config"), principal.tenantId, facts, signal).catch((failure) =>
      log("warn", "security_signal_failed", { request_id: c.get("requestId"), kind: signal.kind, error: describeError(failure) }),
    ),
  );
}

export const renderNotFound: NotFoundHandler<AppEnv> = (c) => {
  c.set("failure", { code: "RESOURCE_NOT_FOUND" });
  return errorResponse(c, new AppError("RESOURCE_NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`));
};
