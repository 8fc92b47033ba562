import type { MiddlewareHandler } from "hono";
import { READ_METHODS, SWITCHED_OFF_RETRY_AFTER_SECONDS } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { FLAGS, isOn } from "../kernel/flags";

/** Sign-in and sessions go on, so people keep reading; every other write waits. */
const SESSION_ROUTES = new Set(["/v1/auth/login", "/v1/auth/pin", "/v1/auth/refresh", "/v1/auth/logout"]);

/**
 * The maintenance kill switch (`maintenance-mode`): while it is on, every write answers 503 SERVICE_UNAVAILABLE with
 * Retry-After and changes nothing. Reads, sign-in and sessions (login, PIN, refresh, logout: so people can keep
 * reading; they still write their session rows and audit) and /health keep working.
 */
export const refuseWritesInMaintenance = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const path = c.req.path;
  if (READ_METHODS.has(c.req.method) || path.startsWith("/health") || SESSION_ROUTES.has(path)) return next();
  if (await isOn(c.env.FLAGS, FLAGS.maintenance, {}, c.get("now"))) {
    throw new AppError(
      "SERVICE_UNAVAILABLE",
      "Writes are paused for maintenance; reads keep working",
      { reason: "maintenance" },
      { headers: { "Retry-After": String(SWITCHED_OFF_RETRY_AFTER_SECONDS) } },
    );
  }
  await next();
};
