import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "../env";
import type { Config } from "./config";
import type { TraceContext } from "./trace-context";

/** What the edge middleware puts on every request's context. */
export interface AppVariables {
  requestId: string;
  trace: TraceContext;
  /** Set by the config guard on every route but /health*. */
  config: Config;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
export type AppRouter = OpenAPIHono<AppEnv>;
