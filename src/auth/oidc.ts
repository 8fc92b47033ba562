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
/** `<tenant id>:<subject>` → user id, for active users only (app.user_by_external_subject). */
const subjects = new ExpiringCache<string>(AUTH_CACHE_ENTRIES);
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

async function userForSubject(
  config: Config,
  issuer: ExternalIssuer,
  subject: string,
  nowMs: number,
  tokenExpiresAt: number,
): Promise<string | null> {
  const key = `${issuer.tenant_id}:${subject}`;
  const known = subjects.get(key, nowMs);
  if (known) return known;
  const [result] = await runInDatabase(
    config,
    systemCaller("auth", issuer.tenant_id),
    (db) => [db.execute<{ user_id: string }>(sql`select user_id from app.user_by_external_subject(${issuer.tenant_id}, ${subject})`)],
    { readOnly: true },
  );
  const userId = result.rows[0]?.user_id ?? null;
  if (userId) subjects.set(key, userId, nowMs, tokenExpiresAt);
  return userId;
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

  let subject: string;
  let issuedAt: number;
  let expiresAt: number;
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
    subject = payload.sub;
    issuedAt = payload.iat!;
    expiresAt = payload.exp! * 1000;
  } catch (error) {
    throw verificationFailure(error);
  }
  const userId = await userForSubject(config, issuer, subject, nowMs, expiresAt);
  if (!userId) throw unauthorized("unknown subject");
  return { userId, tenantId: issuer.tenant_id, sessionVersion: issuedAt * 1000 };
}
