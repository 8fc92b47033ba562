import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { LRUCache } from "lru-cache";
import { systemCaller } from "../db/claims";
import { type Db, runInDatabase } from "../db/door";
import type { Config } from "../kernel/config";
import { AUTH_CACHE_ENTRIES } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { describeError, log } from "../kernel/logger";
import { writeMetric } from "../kernel/metrics";
import { clientIp } from "./limiter";

/**
 * Security signals (docs/security.md, "Security signals"): each is an audit row `security.<kind>`, a webhook event of
 * the same type for its tenant (migrations/functions/97_security_signals.sql) and a metric (`blob1` `security`).
 */
export const SECURITY_SIGNALS = [
  "refresh_token_reuse",
  "login_failures_from_address",
  "admin_new_country",
  "api_key_new_asn",
  "self_serving_refused",
  "bulk_adjustments",
] as const;
export type SecuritySignal = (typeof SECURITY_SIGNALS)[number];

/** The refusals that are someone trying to serve themself (`details.reason` of a FORBIDDEN). */
export const SELF_SERVING_REASONS = new Set(["own request", "own balance"]);

/** What audit rows and signals record about a request. */
export interface RequestFacts {
  now: number;
  ip: string;
  userAgent: string | null;
  requestId: string;
  /** Where Cloudflare saw the request come from (`request.cf`; none locally unless a test names them). */
  country: string | null;
  asn: string | null;
}

export function requestFacts(c: Context<AppEnv>): RequestFacts {
  return {
    now: c.get("now"),
    ip: clientIp(c.req.raw.headers),
    userAgent: c.req.header("User-Agent") ?? null,
    requestId: c.get("requestId"),
    ...whereFrom(c.req.raw),
  };
}

const factsJson = (facts: RequestFacts) => ({
  now: new Date(facts.now).toISOString(),
  ip: facts.ip,
  user_agent: facts.userAgent,
  request_id: facts.requestId,
});

/** A signal the Worker noticed: who acted, on what, and the event's data (ids and counts, nothing confidential). */
export interface NoticedSignal {
  kind: "refresh_token_reuse" | "login_failures_from_address" | "self_serving_refused";
  actorType: "user" | "api_key" | "anonymous";
  actorId: string | null;
  targetType: string;
  targetId: string | null;
  data: Record<string, unknown>;
}

/** A noticed signal as one statement of a sign-in or session batch (callers `login` and `auth`). */
export function raiseSignal(db: Db, facts: RequestFacts, signal: NoticedSignal) {
  const p = {
    kind: signal.kind,
    actor_type: signal.actorType,
    actor_id: signal.actorId,
    target_type: signal.targetType,
    target_id: signal.targetId,
    data: signal.data,
    facts: factsJson(facts),
  };
  return db.execute(sql`select app.raise_security_signal(${JSON.stringify(p)}::jsonb)`);
}

/** A noticed signal in a transaction of its own (the request's was refused and wrote nothing), for `tenantId`. */
export async function raiseSignalApart(
  config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DB_CLAIMS_KEY">,
  tenantId: string,
  facts: RequestFacts,
  signal: NoticedSignal,
): Promise<void> {
  await runInDatabase(config, systemCaller("auth", tenantId), (db) => [raiseSignal(db, facts, signal)]);
}

/**
 * Notes where a person signs in from (their country) or an API key is used from (its ASN), as one statement; it
 * answers the signal this raised (`admin_new_country`, `api_key_new_asn`), if any.
 */
export function noteSignInPlace(
  db: Db,
  facts: RequestFacts,
  place: { principalType: "user" | "api_key"; principalId: string; value: string | null },
) {
  const p = {
    principal_type: place.principalType,
    principal_id: place.principalId,
    value: place.value,
    now: new Date(facts.now).toISOString(),
    facts: factsJson(facts),
  };
  return db.execute<{ signal: SecuritySignal | null }>(sql`select app.note_sign_in_place(${JSON.stringify(p)}::jsonb) as signal`);
}

/** How often an isolate notes the country of a person signed in through their organisation's identity provider. */
const SSO_PLACE_INTERVAL_MS = 3_600_000;
/** `<user>:<country>` → when this isolate last noted it. */
const ssoPlacesNoted = new LRUCache<string, number>({ max: AUTH_CACHE_ENTRIES });

/** Forgets which single sign-on places this isolate noted (tests). */
export function forgetNotedPlaces(): void {
  ssoPlacesNoted.clear();
}

/**
 * Single sign-on has no sign-in here: the identity provider's token comes with every request. Its country is noted
 * after the answer, at most once an hour per isolate, person and country, so an admin's first request from another
 * country raises `admin_new_country` as a password sign-in does.
 */
export function noteSingleSignOnPlace(c: Context<AppEnv>, userId: string, tenantId: string): void {
  const facts = requestFacts(c);
  if (!facts.country) return;
  const seen = `${userId}:${facts.country}`;
  if ((ssoPlacesNoted.get(seen) ?? Number.NEGATIVE_INFINITY) + SSO_PLACE_INTERVAL_MS > facts.now) return;
  ssoPlacesNoted.set(seen, facts.now);
  notePlaceAfterAnswer(c, tenantId, facts, { principalType: "user", principalId: userId, value: facts.country });
}

/**
 * Notes a place after the answer (`waitUntil`), in a transaction of its own with `alongside` (more statements of
 * the `auth` caller), and writes the metric of the signal it raised. A failure is logged, never the request's.
 */
export function notePlaceAfterAnswer(
  c: Context<AppEnv>,
  tenantId: string,
  facts: RequestFacts,
  place: Parameters<typeof noteSignInPlace>[2],
  alongside: (db: Db) => BatchItem<"pg">[] = () => [],
): void {
  c.executionCtx.waitUntil(
    runInDatabase(c.get("config"), systemCaller("auth", tenantId), (db) => [noteSignInPlace(db, facts, place), ...alongside(db)])
      .then(([noted]) => {
        const signal = noted.rows[0]?.signal;
        if (signal) recordSignal(c.env.METRICS, tenantId, signal);
      })
      .catch((error) => log("warn", "sign_in_place_not_noted", { request_id: facts.requestId, error: describeError(error) })),
  );
}

/** The metric of a signal (one data point; `index1` the tenant, or `-`). */
export function recordSignal(metrics: AnalyticsEngineDataset | undefined, tenantId: string | null, kind: SecuritySignal): void {
  writeMetric(metrics, { indexes: [tenantId ?? "-"], blobs: ["security", kind, "", "", ""], doubles: [0, 0] });
}

/** The country and network (ASN) Cloudflare attributes a request to. */
export function whereFrom(request: Request): { country: string | null; asn: string | null } {
  const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
  return {
    country: typeof cf?.country === "string" && /^[A-Z0-9]{2}$/.test(cf.country) ? cf.country : null,
    asn: typeof cf?.asn === "number" && Number.isSafeInteger(cf.asn) ? String(cf.asn) : null,
  };
}
