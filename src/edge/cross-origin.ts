import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { isOrigin, splitOrigins } from "../kernel/config";
import { REPLAYED_HEADER, REQUEST_ID_HEADER } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";

const allowLists = new WeakMap<object, Set<string>>();

function allowedOrigins(env: AppEnv["Bindings"]): Set<string> {
  let origins = allowLists.get(env);
  if (!origins) {
    origins = new Set(splitOrigins(env.ALLOWED_ORIGINS).filter(isOrigin));
    allowLists.set(env, origins);
  }
  return origins;
}

/** CORS for the origins in ALLOWED_ORIGINS only; any other origin, or none, gets no CORS headers at all. */
export const corsFromConfig = (): MiddlewareHandler<AppEnv> => {
  const handler = cors({
    origin: (origin, c) => (allowedOrigins(c.env).has(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER, "traceparent"],
    exposeHeaders: [
      REQUEST_ID_HEADER,
      "traceparent",
      "RateLimit-Limit",
      "RateLimit-Remaining",
      "RateLimit-Reset",
      "Retry-After",
      REPLAYED_HEADER,
    ],
    maxAge: 600,
  }) as MiddlewareHandler<AppEnv>;
  // Without Origin (apps, servers, monitors) no CORS header means anything; the answer still varies by Origin. Hono's
  // handler would add headers after the route answers, which copies the whole response. Preflights stay its own.
  return async (c, next) => {
    if (c.req.header("origin") !== undefined || c.req.method === "OPTIONS") return handler(c, next);
    c.header("Vary", "Origin");
    await next();
  };
};

/** JSON responses load nothing; a route that serves a page (/docs) sets its own policy for what the page loads. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const contentSecurityPolicy = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  // Before the route answers (a header set after it copies the whole response); a page's route replaces it.
  c.header("Content-Security-Policy", API_CONTENT_SECURITY_POLICY);
  await next();
};
