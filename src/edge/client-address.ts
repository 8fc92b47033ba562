import type { MiddlewareHandler } from "hono";
import { isDeployed } from "../kernel/config";
import { CLIENT_IP_HEADER } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";

/**
 * In staging and production every request reaches the Worker through Cloudflare's edge, which sets
 * `CF-Connecting-IP`. One without it did not come that way: refused, rather than counted (per-IP limits, login
 * attempts) and audited under one shared placeholder address. Locally (`wrangler dev`, tests) the header is
 * optional. Health checks are always answered.
 */
export const requireClientAddress = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (isDeployed(c.env.ENVIRONMENT) && !c.req.path.startsWith("/health") && !c.req.header(CLIENT_IP_HEADER)) {
    throw new AppError("INVALID_INPUT", `The ${CLIENT_IP_HEADER} header is missing: requests reach this API through Cloudflare's edge`);
  }
  await next();
};
