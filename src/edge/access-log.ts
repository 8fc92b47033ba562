import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppContext, AppEnv } from "../kernel/context";
import { log, redactUrl } from "../kernel/logger";
import { recordRequest } from "./metrics";

/** The route pattern that served the request (`/v1/tenants/:slug`), not the raw path: low-cardinality. */
export function routePattern(c: AppContext): string {
  const route = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  return route?.path ?? "(unmatched)";
}

/**
 * One JSON line per request, and one metrics data point. No header is logged but User-Agent; sensitive query
 * values are redacted.
 */
export const accessLog = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const started = performance.now();
  const database = { roundTrips: 0, retries: 0 };
  c.set("database", database);
  await next();
  const status = c.res.status;
  const route = routePattern(c);
  const duration = Math.round((performance.now() - started) * 100) / 100;
  recordRequest(c, route, duration);
  log(
    status >= 500 ? "error" : "info",
    "request",
    {
      method: c.req.method,
      route,
      path: c.req.url.includes("?") ? redactUrl(new URL(c.req.url)) : c.req.path,
      status,
      duration_ms: duration,
      request_id: c.get("requestId"),
      trace_id: c.get("trace")?.traceId,
      user_agent: c.req.header("user-agent"),
      user_id: c.get("principal")?.userId,
      permission_cache: c.get("permissionCache"),
      db_round_trips: database.roundTrips,
      db_retries: database.retries,
    },
    { redacted: true },
  );
};
