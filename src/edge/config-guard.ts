import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../kernel/config";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";

/** Every route but /health* needs a valid configuration; the error names the variables, never their values. */
export const requireConfig = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (c.req.path.startsWith("/health")) return next();
  const result = loadConfig(c.env);
  if (!result.ok) {
    throw new AppError("CONFIG_INVALID", "The service is misconfigured", { variables: result.problems });
  }
  c.set("config", result.config);
  await next();
};
