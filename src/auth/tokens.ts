import { type CryptoKey, decodeProtectedHeader, errors, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { LRUCache } from "lru-cache";
import type { Config } from "../kernel/config";
import { ACCESS_TOKEN_TTL_SECONDS, AUTH_CACHE_ENTRIES, JWT_CLOCK_SKEW_SECONDS, MAX_TOKEN_LENGTH } from "../kernel/constants";
import { AppError } from "../kernel/errors";

/**
 * Our access tokens: ES256, `kid` naming the current or previous signing key, 15 minutes. They carry identity
 * (`sub`, `tid`) and the session version they were issued under (`sv`), never roles; a kiosk (PIN) session's
 * also `scp: "kiosk"`.
 */
const ALGORITHMS = ["ES256"];
const TOKEN_TYPE = "at+jwt";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AccessIdentity {
  userId: string;
  tenantId: string;
  sessionVersion: number;
  /** A kiosk (PIN) session: narrowed to KIOSK_SCOPES whatever the user's roles (claim `scp: "kiosk"`). */
  kiosk?: boolean;
  /**
   * An external issuer's token, whose subject → user mapping this isolate cached at `resolvedAt`: a session
   * version raised since (a link or unlink ends the user's sessions) means it must be looked up again.
   */
  externalSubject?: { resolvedAt: number; lookUpAgain: () => Promise<string | null> };
}

const KIOSK_SCOPE_CLAIM = "kiosk";

interface KeySet {
  signing: { kid: string; key: CryptoKey };
  verifying: Map<string, CryptoKey>;
}

const keySets = new WeakMap<object, Promise<KeySet>>();

function publicPart(jwk: Config["JWT_SIGNING_KEY"]): JWK {
  const { d: _private, ...rest } = jwk;
  return rest;
}

/** Keys are imported once per configuration (per isolate). */
function keysFor(config: Config): Promise<KeySet> {
  let keys = keySets.get(config);
  if (!keys) {
    keys = (async () => {
      const current = config.JWT_SIGNING_KEY;
      const verifying = new Map<string, CryptoKey>([[current.kid, (await importJWK(publicPart(current), "ES256")) as CryptoKey]]);
      const previous = config.JWT_PREVIOUS_SIGNING_KEY;
      if (previous) verifying.set(previous.kid, (await importJWK(publicPart(previous), "ES256")) as CryptoKey);
      return { signing: { kid: current.kid, key: (await importJWK(current, "ES256")) as CryptoKey }, verifying };
    })();
    keySets.set(config, keys);
  }
  return keys;
}

export async function signAccessToken(config: Config, identity: AccessIdentity, nowMs: number): Promise<string> {
  const { signing } = await keysFor(config);
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ tid: identity.tenantId, sv: identity.sessionVersion, ...(identity.kiosk ? { scp: KIOSK_SCOPE_CLAIM } : {}) })
    .setProtectedHeader({ alg: "ES256", kid: signing.kid, typ: TOKEN_TYPE })
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(identity.userId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(signing.key);
}

export const unauthorized = (reason: string) => new AppError("UNAUTHORIZED", "Invalid or expired token", { reason });

/** What a failed verification answers, ours or an external issuer's: 401 with the reason, never a 5xx. */
export function verificationFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return unauthorized("token expired");
  if (error instanceof errors.JOSEError) return unauthorized(error.code);
  return unauthorized("malformed token");
}

interface VerifiedToken {
  /** The configuration (so the keys) it was verified under. */
  config: Config;
  identity: AccessIdentity;
  /** From `nbf` less the allowed skew to `exp`: outside it the token is verified again (and refused). */
  validFromMs: number;
  expiresAtMs: number;
}

/**
 * Tokens this isolate verified, keyed by the token itself: a lookup costs no hashing, and only the exact bytes
 * that were verified match. An entry is used only under the configuration it was verified with and within the
 * token's validity, never beyond `exp`. Whether its session still stands is asked of the Durable Object on every
 * request, as for a token verified just now.
 */
const verifiedTokens = new LRUCache<string, VerifiedToken>({ max: AUTH_CACHE_ENTRIES });

/** Forgets every verified token (tests reset isolate state between cases). */
export function forgetVerifiedTokens(): void {
  verifiedTokens.clear();
}

/** The identity of one of our access tokens that this isolate already verified under `config`, while valid. */
export function alreadyVerified(config: Config, token: string, nowMs: number): AccessIdentity | null {
  const known = verifiedTokens.get(token);
  return known && known.config === config && known.validFromMs <= nowMs && nowMs < known.expiresAtMs ? { ...known.identity } : null;
}

/**
 * Verifies one of our access tokens and remembers it for `alreadyVerified`, which callers ask first. Every failure
 * is 401 UNAUTHORIZED with a short, non-sensitive reason.
 */
export async function verifyAccessToken(config: Config, token: string, nowMs: number): Promise<AccessIdentity> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthorized("token too long");
  const { identity, notBefore, expiresAt } = await verifySignedToken(config, token, nowMs);
  verifiedTokens.set(token, {
    config,
    identity,
    validFromMs: (notBefore - JWT_CLOCK_SKEW_SECONDS) * 1000,
    expiresAtMs: expiresAt * 1000,
  });
  return { ...identity };
}

async function verifySignedToken(
  config: Config,
  token: string,
  nowMs: number,
): Promise<{ identity: AccessIdentity; notBefore: number; expiresAt: number }> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (!ALGORITHMS.includes(String(header.alg))) throw unauthorized("algorithm not allowed");
    if (header.typ !== TOKEN_TYPE) throw unauthorized("not an access token");
    kid = header.kid;
  } catch (error) {
    throw error instanceof AppError ? error : unauthorized("malformed token");
  }
  const { verifying } = await keysFor(config);
  const key = typeof kid === "string" ? verifying.get(kid) : undefined;
  if (!key) throw unauthorized("unknown key id");
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ALGORITHMS,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      typ: TOKEN_TYPE,
      clockTolerance: JWT_CLOCK_SKEW_SECONDS,
      maxTokenAge: ACCESS_TOKEN_TTL_SECONDS + JWT_CLOCK_SKEW_SECONDS,
      requiredClaims: ["sub", "tid", "sv", "iat", "nbf", "exp", "jti"],
      currentDate: new Date(nowMs),
    });
    const { sub, tid, sv, scp } = payload as { sub?: unknown; tid?: unknown; sv?: unknown; scp?: unknown };
    if (typeof sub !== "string" || !UUID.test(sub) || typeof tid !== "string" || !UUID.test(tid)) throw unauthorized("malformed claims");
    if (typeof sv !== "number" || !Number.isSafeInteger(sv) || sv < 0) throw unauthorized("malformed claims");
    if (scp !== undefined && scp !== KIOSK_SCOPE_CLAIM) throw unauthorized("malformed claims");
    return {
      identity: { userId: sub, tenantId: tid, sessionVersion: sv, kiosk: scp === KIOSK_SCOPE_CLAIM },
      notBefore: payload.nbf!,
      expiresAt: payload.exp!,
    };
  } catch (error) {
    throw verificationFailure(error);
  }
}
