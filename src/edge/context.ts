import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "../env";
import type { Config } from "./config";
import type { TraceContext } from "./trace-context";
import type { CacheOutcome, Principal } from "../auth/principal";

/** What the edge middleware puts on every request's context. */
export interface AppVariables {
  requestId: string;
  trace: TraceContext;
  /** Set by the config guard on every route but /health*. */
  config: Config;
  /** The request's time in ms, from the app's clock (tests control it). */
  now: number;
  /** Set by `authenticate` on authenticated routes. */
  principal: Principal;
  /** How the permission cache served this request, for the access log. */
  permissionCache: CacheOutcome;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
export type AppRouter = OpenAPIHono<AppEnv>;
