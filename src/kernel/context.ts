import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Permission, Role } from "./access";
import type { Config } from "./config";
import type { Env } from "./env";

/** W3C Trace Context (https://www.w3.org/TR/trace-context/): we continue the caller's trace as a new span. */
export interface TraceContext {
  traceId: string;
  parentSpanId: string | null;
  spanId: string;
  sampled: boolean;
  /** `traceparent` value for calls this request makes and for the response. */
  traceparent: string;
}

/** Who is calling, as the database says now: loaded from Postgres, cached in KV per permission version. */
export interface Principal {
  kind: "user" | "api_key";
  /** users.id of the acting person: the user, or the person who created the service key. */
  userId: string;
  tenantId: string;
  employeeId: string | null;
  roles: Role[];
  /** Narrower than the roles when not empty: a key's scopes, or a kiosk session's. Empty means everything the roles allow. */
  scopes: Permission[];
  /** api_keys.id, when a service key acts. */
  keyId?: string;
  /** A person's approval delegations not revoked (from their identity; kept with it in the permission cache). */
  delegations?: HeldDelegation[];
  /**
   * The managers (employees.id) whose approvals this request's caller holds now: set per request by
   * `authenticate` from `delegations` for a person's full session, and signed into the claims as `acting_for`.
   */
  actingFor?: string[];
}

/** An approval delegation a person holds: for whom, and when (ISO instants). */
export interface HeldDelegation {
  delegator_id: string;
  starts_at: string;
  ends_at: string;
}

/**
 * How a request's principal was found, logged as `permission_cache` on its access-log line (the hit ratio is
 * (memory + kv) / all): memory, this isolate had it; kv, KV had it; miss, loaded from Postgres and cached;
 * bypass, from Postgres because no version was known.
 */
export type CacheOutcome = "memory" | "kv" | "miss" | "bypass";

/** Batches sent to Postgres (each retry included) and, of those, retries after a transient failure. */
export interface DatabaseTally {
  roundTrips: number;
  retries: number;
}

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
  /** What the request asked of Postgres, counted by the door (src/db/door.ts) for its metrics and log line. */
  database: DatabaseTally;
  /** The error the request answered with, for its metrics: its code, and for a refused credential why. */
  failure: { code: string; reason?: string };
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
export type AppRouter = OpenAPIHono<AppEnv>;
