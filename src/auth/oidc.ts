import { sql } from "drizzle-orm";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { systemCaller } from "../db/claims";
import { runInDatabase } from "../db/door";
import type { Config } from "../kernel/config";
import {
  AUTH_CACHE_ENTRIES,
  EXTERNAL_TOKEN_MAX_AGE_SECONDS,
  JWKS_CACHE_TTL_SECONDS,
  JWKS_FETCH_TIMEOUT_MS,
  JWKS_REFETCH_COOLDOWN_SECONDS,
  JWT_CLOCK_SKEW_SECONDS,
} from "../kernel/constants";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import { log } from "../kernel/logger";
import { type AccessIdentity, unauthorized, verificationFailure } from "./tokens";

/**
 * Tokens from a tenant's own OIDC provider. The issuer decides the tenant (configuration, never the token);
 * the key comes from the issuer's JWKS, fetched once and shared across isolates through KV (`jwks:<issuer>`),
 * refetched for an unknown `kid` at most once a minute. The token's `sub` names one of that tenant's users
 * (users.external_subject); its `iat` stands in for the session version, so logout-all and deactivation end
 * external sessions too.
 */
export type ExternalIssuer = Config["OIDC_ISSUERS"][number];

const ALGORITHMS = ["RS256", "ES256"];
/** A JWKS is a few keys; anything this big is not one. */
const MAX_JWKS_CHARS = 64 * 1024;

interface CachedJwks {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

const jwksMemory = new Map<string, CachedJwks>();
/** `<tenant id>:<subject>` → user id, for active users only (app.user_by_external_subject), and when it was looked up. */
const subjects = new ExpiringCache<{ userId: string; resolvedAt: number }>(AUTH_CACHE_ENTRIES);
/** When this isolate last tried each issuer's JWKS (one entry per configured issuer): a failing one is not asked every request. */
const lastFetchAttempt = new Map<string, number>();

/** Tests reset isolate state between cases. */
export function forgetExternalIssuers(): void {
  jwksMemory.clear();
  subjects.clear();
  lastFetchAttempt.clear();
}

const jwksKey = (issuer: string) => `jwks:${issuer}`;

async function fetchJwks(issuer: ExternalIssuer, kv: KVNamespace, nowMs: number): Promise<CachedJwks> {
  const response = await fetch(issuer.jwks_uri, {
    signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_JWKS_CHARS) throw new Error("JWKS too large");
  const jwks = JSON.parse(text) as JSONWebKeySet;
  if (!Array.isArray(jwks?.keys)) throw new Error("JWKS has no keys array");
  const cached = { jwks, fetchedAt: nowMs };
  jwksMemory.set(issuer.issuer, cached);
  await kv.put(jwksKey(issuer.issuer), JSON.stringify(cached), { expirationTtl: JWKS_CACHE_TTL_SECONDS }).catch(() => {});
  return cached;
}

/** The issuer's keys: this isolate's copy, else KV's, else a fetch; `refresh` asks for a newer set (cool-down permitting). */
async function issuerKeys(issuer: ExternalIssuer, kv: KVNamespace, nowMs: number, refresh: boolean): Promise<CachedJwks | null> {
  const fresh = (c: CachedJwks | null | undefined) => (c && nowMs - c.fetchedAt < JWKS_CACHE_TTL_SECONDS * 1000 ? c : null);
  let cached = fresh(jwksMemory.get(issuer.issuer));
  if (!cached) {
    cached = fresh(await kv.get<CachedJwks>(jwksKey(issuer.issuer), "json").catch(() => null));
    if (cached) jwksMemory.set(issuer.issuer, cached);
  }
  const lastAttempt = Math.max(
    cached?.fetchedAt ?? Number.NEGATIVE_INFINITY,
    lastFetchAttempt.get(issuer.issuer) ?? Number.NEGATIVE_INFINITY,
  );
  const coolingDown = nowMs - lastAttempt < JWKS_REFETCH_COOLDOWN_SECONDS * 1000;
  if (cached && !refresh) return cached;
  if (coolingDown) return cached;
  lastFetchAttempt.set(issuer.issuer, nowMs);
  try {
    return await fetchJwks(issuer, kv, nowMs);
  } catch (error) {
    log("warn", "jwks_fetch_failed", { issuer: issuer.issuer, error: (error as Error).message });
    return cached;
  }
}

/**
 * The user of `subject`: from this isolate's cache unless `fresh`, else from Postgres; an issuer configured for
 * just-in-time linking links a subject nobody holds yet to the user of the email it vouched for (`email` is
 * set only when the token says `email_verified: true`), under the rules of app.link_external_subject_by_email.
 */
async function userForSubject(
  config: Config,
  issuer: ExternalIssuer,
  token: { subject: string; verifiedEmail: string | null; expiresAt: number },
  nowMs: number,
  fresh = false,
): Promise<{ userId: string; resolvedAt: number } | null> {
  const key = `${issuer.tenant_id}:${token.subject}`;
  const known = fresh ? undefined : subjects.get(key, nowMs);
  if (known) return known;
  const caller = systemCaller("auth", issuer.tenant_id);
  const [found] = await runInDatabase(
    config,
    caller,
    (db) => [db.execute<{ user_id: string }>(sql`select user_id from app.user_by_external_subject(${issuer.tenant_id}, ${token.subject})`)],
    { readOnly: true },
  );
  let userId = found.rows[0]?.user_id ?? null;
  if (!userId && issuer.jit_link_by_email && token.verifiedEmail) {
    const [linked] = await runInDatabase(config, caller, (db) => [
      db.execute<{ user_id: string }>(
        sql`select user_id from app.link_external_subject_by_email(${issuer.tenant_id}, ${token.subject}, ${token.verifiedEmail}, ${new Date(nowMs).toISOString()})`,
      ),
    ]);
    userId = linked.rows[0]?.user_id ?? null;
  }
  if (!userId) {
    subjects.delete(key);
    return null;
  }
  const resolved = { userId, resolvedAt: nowMs };
  subjects.set(key, resolved, nowMs, token.expiresAt);
  return resolved;
}

export async function verifyExternalToken(
  config: Config,
  kv: KVNamespace,
  issuer: ExternalIssuer,
  token: string,
  nowMs: number,
): Promise<AccessIdentity> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (!ALGORITHMS.includes(String(header.alg))) throw unauthorized("algorithm not allowed");
    kid = header.kid;
  } catch (error) {
    throw error instanceof AppError ? error : unauthorized("malformed token");
  }
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 128) throw unauthorized("unknown key id");
  const hasKid = (c: CachedJwks | null) => c?.jwks.keys.some((k) => k.kid === kid) ?? false;
  let keys = await issuerKeys(issuer, kv, nowMs, false);
  if (!hasKid(keys)) keys = await issuerKeys(issuer, kv, nowMs, true);
  if (!keys || !hasKid(keys)) throw unauthorized("unknown key id");

  let claims: { subject: string; verifiedEmail: string | null; expiresAt: number };
  let issuedAt: number;
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
      algorithms: ALGORITHMS,
      issuer: issuer.issuer,
      audience: issuer.audience,
      clockTolerance: JWT_CLOCK_SKEW_SECONDS,
      maxTokenAge: EXTERNAL_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ["sub", "iat", "exp"],
      currentDate: new Date(nowMs),
    });
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 255) throw unauthorized("malformed claims");
    const email =
      payload.email_verified === true && typeof payload.email === "string" && payload.email.length <= 254 ? payload.email : null;
    claims = { subject: payload.sub, verifiedEmail: email, expiresAt: payload.exp! * 1000 };
    issuedAt = payload.iat!;
  } catch (error) {
    throw verificationFailure(error);
  }
  const resolved = await userForSubject(config, issuer, claims, nowMs);
  if (!resolved) throw unauthorized("unknown subject");
  return {
    userId: resolved.userId,
    tenantId: issuer.tenant_id,
    sessionVersion: issuedAt * 1000,
    externalSubject: {
      resolvedAt: resolved.resolvedAt,
      lookUpAgain: async () => (await userForSubject(config, issuer, claims, nowMs, true))?.userId ?? null,
    },
  };
}
