/** Helpers that keep each test about behaviour: call the Worker, read errors, steer the harbor, query as superuser. */

import { createExecutionContext, env, reset, SELF, waitOnExecutionContext } from "cloudflare:test";
import { neon, neonConfig } from "@neondatabase/serverless";
import type { Hono } from "hono";
import { expect, inject } from "vitest";
import { SEED_TENANTS, seedStatements } from "../../../scripts/lib/seed-data";
import { forgetApiKeys } from "../../../src/auth/api-keys";
import { forgetBlocked } from "../../../src/auth/limiter";
import { forgetExternalIssuers } from "../../../src/auth/oidc";
import { forgetPrincipals } from "../../../src/auth/principal";
import { forgetNotedPlaces } from "../../../src/auth/security-signals";
import { forgetVerifiedTokens } from "../../../src/auth/tokens";
import { forgetSealingKeys } from "../../../src/domain/sealing";
import { forgetUnsubscribed } from "../../../src/domain/webhook-delivery";
import { forgetSignalledRefusals } from "../../../src/edge/error-renderer";
import type { Env, WebhookMessage } from "../../../src/kernel/env";
import { type AppError, type ErrorCode, errorDocumentationUrl } from "../../../src/kernel/errors";
import { forgetFlags } from "../../../src/kernel/flags";
import type { ReceivedWebhook, ReceiverMode } from "../receiver";
import { TEST_PIN_PEPPER } from "../test-constants";

export const BASE_URL = "https://api.leave-ledger.test";
export const testEnv = env as unknown as Env;

/** Calls the Worker exactly as deployed (its default export), through workerd. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(`${BASE_URL}${path}`, init);
}

/** Calls an app built in the test (extra probe routes, bindings swapped for faulty ones) with a real execution context. */
export async function callApp(app: Hono<any>, path: string, init: RequestInit = {}, bindings: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${BASE_URL}${path}`, init), { ...testEnv, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface ErrorShape {
  error: { code: ErrorCode; message: string; details: Record<string, unknown>; request_id: string; documentation_url: string };
}

/** Asserts the standard error shape, status and code; returns the body for further checks. */
export async function expectError(response: Response, status: number, code: ErrorCode): Promise<ErrorShape["error"]> {
  const body = (await response.json()) as ErrorShape;
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
  expect(Object.keys(body.error).sort()).toEqual(["code", "details", "documentation_url", "message", "request_id"]);
  expect(body.error.request_id).toBe(response.headers.get("X-Request-Id"));
  expect(body.error.documentation_url).toBe(errorDocumentationUrl(BASE_URL, code));
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  if (status === 503) expect(Number(response.headers.get("Retry-After")), "a 503 says when to retry").toBeGreaterThan(0);
  return body.error;
}

/** Runs SQL as the Postgres superuser (bypasses RLS) through the local Neon endpoint: fixtures and assertions. */
export function superuserSql() {
  neonConfig.fetchEndpoint = inject("neonEndpoint");
  return neon(inject("superuserDatabaseUrl"));
}

const TABLES = [
  "accrual_postings",
  "booked_days",
  "approvals",
  "approval_delegations",
  "sign_in_places",
  "webhook_attempts",
  "webhook_deliveries",
  "outbox_events",
  "webhook_subscriptions",
  "request_comments",
  "idempotency_keys",
  "balance_snapshots",
  "ledger_runs",
  "ledger_entries",
  "leave_requests",
  "data_keys",
  "ledger_accounts",
  "holidays",
  "audit_chain_heads",
  "audit_checkpoints",
  "policy_assignments",
  "leave_policies",
  "api_keys",
  "audit_log",
  "refresh_tokens",
  "credentials",
  "role_assignments",
  "employees",
  "users",
  "tenants",
];

/** Puts the database back to the demo seed. The audit log refuses TRUNCATE; as superuser, tests skip its triggers. */
export async function resetDatabase(): Promise<void> {
  const sql = superuserSql();
  const seed = await seedStatements(TEST_PIN_PEPPER, SEED_TENANTS);
  await sql.transaction([
    sql.query("set local session_replication_role = replica"),
    sql.query(`truncate ${TABLES.join(", ")} restart identity cascade`),
    sql.query("set local session_replication_role = origin"),
    ...seed.map((s) => sql.query(s.text, s.values)),
  ]);
}

/**
 * Wipes Durable Object storage, KV (which Miniflare keeps in Durable Objects too) and the isolate's memories: blocked
 * keys, principals, issuers, API keys, verified tokens, sealing keys, tenants without webhooks, flag values, signalled refusals, noted
 * single sign-on places.
 */
export async function resetEdgeState(): Promise<void> {
  await reset();
  forgetBlocked();
  forgetPrincipals();
  forgetExternalIssuers();
  forgetApiKeys();
  forgetVerifiedTokens();
  forgetSealingKeys();
  forgetUnsubscribed();
  forgetFlags();
  forgetSignalledRefusals();
  forgetNotedPlaces();
}

/** The harbor (test/support/node/harbor.ts): fake Sentry, the database gate and webhook receivers. */
export const harbor = {
  async sentryEvents(): Promise<Record<string, any>[]> {
    const res = await fetch(`${inject("harborUrl")}/control/sentry`);
    const envelopes = (await res.json()) as { events: Record<string, any>[]; raw: string }[];
    return envelopes.flatMap((e) => e.events);
  },
  async sentryEnvelopes(): Promise<string[]> {
    const res = await fetch(`${inject("harborUrl")}/control/sentry`);
    return ((await res.json()) as { raw: string }[]).map((e) => e.raw);
  },
  async sentry(options: { mode?: "ok" | "fail" | "hang"; clear?: boolean }): Promise<void> {
    await fetch(`${inject("harborUrl")}/control/sentry`, { method: "POST", body: JSON.stringify(options) });
  },
  /** Serves `jwks` at `${harborUrl}/jwks/<name>` (null: answers 404, as a failing identity provider). */
  async publishJwks(name: string, jwks: unknown): Promise<void> {
    await fetch(`${inject("harborUrl")}/control/jwks/${name}`, { method: "POST", body: jwks === null ? "" : JSON.stringify(jwks) });
  },
  async jwksFetches(name: string): Promise<number> {
    return ((await (await fetch(`${inject("harborUrl")}/control/jwks/${name}`)).json()) as { fetches: number }).fetches;
  },
  /** A webhook receiver's URL: it records each POST and answers as `receiver` last told it (204 by default). */
  receiverUrl(name: string): string {
    return `${inject("harborUrl")}/receivers/${name}`;
  },
  async received(name: string): Promise<ReceivedWebhook[]> {
    return (await (await fetch(`${inject("harborUrl")}/control/receivers/${name}`)).json()) as ReceivedWebhook[];
  },
  async receiver(name: string, options: { mode?: ReceiverMode; clear?: boolean }): Promise<void> {
    await fetch(`${inject("harborUrl")}/control/receivers/${name}`, { method: "POST", body: JSON.stringify(options) });
  },
  async gate(mode: "open" | "closed" | "hang"): Promise<void> {
    await fetch(`${inject("harborUrl")}/control/gate`, { method: "POST", body: JSON.stringify({ mode }) });
  },
  /** Runs `work` while one CPU-bound process per core competes with the Worker and Postgres. */
  async underCpuLoad<T>(work: () => Promise<T>): Promise<T> {
    const res = await fetch(`${inject("harborUrl")}/control/cpu-load`, { method: "POST", body: JSON.stringify({ on: true }) });
    expect(((await res.json()) as { burners: number }).burners, "CPU burners started").toBeGreaterThan(0);
    try {
      return await work();
    } finally {
      await fetch(`${inject("harborUrl")}/control/cpu-load`, { method: "POST", body: JSON.stringify({ on: false }) });
    }
  },
};

/** An Analytics Engine binding that keeps the data points written (locally the real one records nothing). */
export function recordingMetrics() {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, METRICS: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point!) } as AnalyticsEngineDataset };
}

/** A queue that keeps what is sent to it, for the test to hand to the consumer itself. */
export function recordingQueue() {
  const sent: WebhookMessage[] = [];
  const queue = {
    send: async (body: WebhookMessage) => void sent.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<WebhookMessage>>) => void sent.push(...[...messages].map((m) => m.body)),
  } as unknown as Queue<WebhookMessage>;
  return { sent, queue };
}

/** Test-only wrappers that make a real binding fail on demand; production code is unchanged. */
export function failingKv(kind: "error" | "hang" = "error"): KVNamespace {
  const fail = () => (kind === "hang" ? new Promise<never>(() => {}) : Promise.reject(new Error("KV unavailable (injected)")));
  return new Proxy(testEnv.PERMISSIONS_KV, {
    get: (target, prop) => (["get", "getWithMetadata", "put", "delete", "list"].includes(String(prop)) ? fail : Reflect.get(target, prop)),
  });
}

export function failingDurableObject(): Env["RATE_LIMITER"] {
  return aroundDurableObject(() => injectedFailure(), {});
}

/**
 * The real rate-limiter namespace, with every method call on its objects handed to `around` (the method's name,
 * and the real call), which decides what happens: run it, fail, or do something before or after it.
 */
function aroundDurableObject<X extends object>(
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
  extras: X,
): Env["RATE_LIMITER"] & X {
  const real = testEnv.RATE_LIMITER;
  return new Proxy(real, {
    get: (target, prop) => {
      if (prop in extras) return Reflect.get(extras, prop);
      if (prop !== "get") return Reflect.get(target, prop).bind(target);
      return (id: DurableObjectId) => {
        const stub = target.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        return new Proxy(stub, {
          get: (s, p) =>
            typeof p === "string" && typeof s[p] === "function"
              ? (...args: unknown[]) => around(p, () => s[p]!(...args))
              : Reflect.get(s, p),
        });
      };
    },
  }) as Env["RATE_LIMITER"] & X;
}

/** Every `raiseVersions` call (numbered from 1 across all objects) goes through `around`; `raises` counts them. */
export function interceptRaises(around: (call: number, raise: () => Promise<unknown>) => Promise<unknown>) {
  let raises = 0;
  return aroundDurableObject((method, call) => (method === "raiseVersions" ? around(++raises, call) : call()), {
    get raises() {
      return raises;
    },
  });
}

/** Records the name of every method called on the objects. */
export function recordingDurableObject() {
  const calls: string[] = [];
  return aroundDurableObject(
    (method, call) => {
      calls.push(method);
      return call();
    },
    { calls },
  );
}

/** An injected failure of a Durable Object call. */
export const injectedFailure = () => Promise.reject(new Error("Durable Object unavailable (injected)"));

/** The AppError a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error("expected a rejection, the promise resolved");
}

/** Collects the JSON log lines the Worker writes while `work` runs. */
export async function captureLogs(work: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const original = { log: console.log, warn: console.warn, error: console.error };
  const record = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  console.log = record;
  console.warn = record;
  console.error = record;
  try {
    await work();
  } finally {
    Object.assign(console, original);
  }
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}
