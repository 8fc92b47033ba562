import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../kernel/context";
import { clientIp, countRequest, ipBucket } from "./limiter";

/** Routes anyone may call without a token; each IP gets RATE_LIMIT_IP_PER_MINUTE requests a minute on them. */
export const ANONYMOUS_ROUTES = ["/v1/auth/login", "/v1/auth/pin", "/v1/auth/refresh", "/v1/auth/logout", "/v1/tenants/*"];

export const limitByIp = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const limits = [{ windowSeconds: 60, limit: c.get("config").RATE_LIMIT_IP_PER_MINUTE }];
  await countRequest(c, `ip:${ipBucket(clientIp(c.req.raw.headers))}`, limits, c.get("now"));
  await next();
};
