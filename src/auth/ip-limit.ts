import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../edge/context";
import { AppError } from "../edge/errors";
import { log } from "../edge/logger";
import { blockedFor, clientIp, limiterFor, rememberBlocked, setRateLimitHeaders } from "./limiter";

/** Routes anyone may call without a token; each IP gets RATE_LIMIT_IP_PER_MINUTE requests a minute on them. */
export const ANONYMOUS_ROUTES = ["/v1/auth/login", "/v1/auth/pin", "/v1/auth/refresh", "/v1/auth/logout", "/v1/tenants/*"];

export const limitByIp = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const now = c.get("now");
  const key = `ip:${clientIp(c.req.raw.headers)}` as const;
  const blocked = blockedFor(key, now);
  if (blocked > 0) throw new AppError("RATE_LIMIT_EXCEEDED", "Too many requests", {}, { headers: { "Retry-After": String(blocked) } });
  let hit;
  try {
    hit = await limiterFor(c.env, key).hit([{ windowSeconds: 60, limit: c.get("config").RATE_LIMIT_IP_PER_MINUTE }], now);
  } catch (error) {
    log("warn", "rate_limiter_unavailable", { request_id: c.get("requestId"), error: (error as Error).message });
    return next();
  }
  setRateLimitHeaders(c, hit);
  if (!hit.allowed) {
    rememberBlocked(key, now + hit.resetSeconds * 1000);
    throw new AppError("RATE_LIMIT_EXCEEDED", "Too many requests", {}, { headers: { "Retry-After": String(hit.resetSeconds) } });
  }
  await next();
};
