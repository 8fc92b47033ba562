import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { type ConfigResult, parseConfig } from "./config";
import type { AppEnv } from "./context";
import { AppError } from "./errors";
import { log } from "./logger";

/** The Workers runtime hands every request of an isolate the same `env` object: validate it once. */
const parsed = new WeakMap<object, ConfigResult>();

export function loadConfig(env: Env): ConfigResult {
  let result = parsed.get(env);
  if (!result) {
    result = parseConfig({ ...env });
    parsed.set(env, result);
    if (!result.ok) log("error", "config_invalid", { problems: result.problems });
  }
  return result;
}

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
