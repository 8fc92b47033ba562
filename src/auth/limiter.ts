import type { Context } from "hono";
import { LRUCache } from "lru-cache";
import type { AttemptPolicy, HitResult, KeyHit, Versions, WindowLimit } from "../durable/rate-limiter";
import type { Config } from "../kernel/config";
import { AUTH_CACHE_ENTRIES, CLIENT_IP_HEADER } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import type { Env } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { log } from "../kernel/logger";

export type { AttemptStart } from "../durable/rate-limiter";

/** Object ids by key name, per namespace: deriving one hashes the name, on every request otherwise. */
const limiterIds = new WeakMap<object, LRUCache<string, DurableObjectId>>();

/** The Durable Object that counts for one key. Key names are documented in docs/storage.md. */
export function limiterFor(
  env: Env,
  key: `user:${string}` | `ip:${string}` | `login-account:${string}` | `login-ip:${string}` | `apikey:${string}`,
) {
  const namespace = env.RATE_LIMITER;
  let ids = limiterIds.get(namespace);
  if (!ids) {
    ids = new LRUCache({ max: AUTH_CACHE_ENTRIES });
    limiterIds.set(namespace, ids);
  }
  let id = ids.get(key);
  if (!id) {
    id = namespace.idFromName(key);
    ids.set(key, id);
  }
  return namespace.get(id);
}

export function userLimits(config: Config): WindowLimit[] {
  return [
    { windowSeconds: 60, limit: config.RATE_LIMIT_USER_PER_MINUTE },
    { windowSeconds: 3600, limit: config.RATE_LIMIT_USER_PER_HOUR },
  ];
}

export function loginPolicies(config: Config): { ip: AttemptPolicy; account: AttemptPolicy } {
  return {
    ip: { mode: "window", threshold: config.LOGIN_FAILURES_PER_IP, seconds: config.LOGIN_FAILURE_WINDOW_SECONDS },
    account: { mode: "consecutive", threshold: config.LOCKOUT_THRESHOLD, seconds: config.LOCKOUT_SECONDS },
  };
}

/**
 * Keys this isolate already saw refused, until when. A caller over its limit costs no Durable Object round
 * trip until the window ends; the object stays the authority for everyone else.
 */
const blockedUntil = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

export function rememberBlocked(key: string, untilMs: number): void {
  if (blockedUntil.size >= MAX_REMEMBERED) blockedUntil.clear();
  blockedUntil.set(key, untilMs);
}

/** Forgets every remembered block (tests reset edge state between cases). */
export function forgetBlocked(): void {
  blockedUntil.clear();
}

export function blockedFor(key: string, nowMs: number): number {
  const until = blockedUntil.get(key);
  if (until === undefined) return 0;
  if (until <= nowMs) {
    blockedUntil.delete(key);
    return 0;
  }
  return Math.ceil((until - nowMs) / 1000);
}

/**
 * The caller's address as Cloudflare reports it (set by the edge, not the client). Only local runs lack it
 * (staging and production refuse such requests, src/edge/client-address.ts): they count as loopback.
 */
export function clientIp(headers: Headers): string {
  return headers.get(CLIENT_IP_HEADER) ?? "127.0.0.1";
}

/** The object counting an address's failed logins and failed API-key attempts: one budget for both. */
export const failuresOf = (ip: string) => `login-ip:${ipBucket(ip)}` as const;

const HEXTET = /^[0-9a-f]{1,4}$/i;

/**
 * What per-IP limits count under: an IPv4 address as it is, an IPv6 address by its /64 — one subscriber gets a
 * whole /64 and could otherwise rotate through addresses to escape the limit. Anything unparsable counts as
 * itself.
 */
export function ipBucket(ip: string): string {
  if (!ip.includes(":")) return ip;
  const halves = ip.toLowerCase().split("::");
  if (halves.length > 2) return ip;
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two hextets; only the first four matter here.
  const groups = (part: string | undefined) => (part ? part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const [head, tail] = [groups(halves[0]), groups(halves[1])];
  if ([...head, ...tail].some((g) => g === "")) return ip;
  const expanded = halves.length === 2 ? [...head, ...Array(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail] : head;
  const prefix = expanded.slice(0, 4);
  if (prefix.length < 4 || !prefix.every((g) => HEXTET.test(g))) return ip;
  return `${prefix.map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/64`;
}

/**
 * One Durable Object call: counts the request against `limits` for `key` and sets the `RateLimit-*` headers;
 * over a limit, 429 with `Retry-After` (and this isolate refuses the key without asking until the window
 * ends). Null when the object cannot be reached: the request then goes on unlimited (logged).
 */
export async function countRequest(
  c: Context<AppEnv>,
  key: `user:${string}` | `ip:${string}`,
  limits: WindowLimit[],
  now: number,
): Promise<HitResult | null> {
  const hit = await reachLimiter(c, key, now, (limiter) => limiter.hit(limits, now));
  return hit && applyHit(c, key, hit, now);
}

/**
 * The same for a service key, still one call: the key's object counts the request only if the presented
 * secret's hash is the one it holds, so a known prefix alone cannot use up the key's limit. `unknown`: it holds
 * none yet; `install` it once Postgres has vouched for the secret (see RateLimiter.hitKey).
 */
export async function countKeyRequest(
  c: Context<AppEnv>,
  prefix: string,
  keyHash: string,
  now: number,
  install?: { version: number },
): Promise<KeyHit | null> {
  const key = `apikey:${prefix}` as const;
  // RPC types do not keep the union apart; the object returns exactly a KeyHit.
  const result = await reachLimiter(
    c,
    key,
    now,
    async (limiter) => (await limiter.hitKey(keyHash, userLimits(c.get("config")), now, install)) as KeyHit,
  );
  if (result?.outcome === "verified") applyHit(c, key, result.hit, now);
  return result;
}

const tooMany = (seconds: number) =>
  new AppError("RATE_LIMIT_EXCEEDED", "Too many requests", {}, { headers: { "Retry-After": String(seconds) } });

/** One call to `key`'s object, unless this isolate already saw the key refused; null (logged) when unreachable. */
async function reachLimiter<T>(
  c: Context<AppEnv>,
  key: Parameters<typeof limiterFor>[1],
  now: number,
  call: (limiter: ReturnType<typeof limiterFor>) => Promise<T>,
): Promise<T | null> {
  const blocked = blockedFor(key, now);
  if (blocked > 0) throw tooMany(blocked);
  try {
    return await call(limiterFor(c.env, key));
  } catch (error) {
    log("warn", "rate_limiter_unavailable", { request_id: c.get("requestId"), error: (error as Error).message });
    return null;
  }
}

function applyHit(c: Context<AppEnv>, key: string, hit: HitResult, now: number): HitResult {
  setRateLimitHeaders(c, hit);
  if (!hit.allowed) {
    rememberBlocked(key, now + hit.resetSeconds * 1000);
    throw tooMany(hit.resetSeconds);
  }
  return hit;
}

/**
 * A failed API-key attempt counts against the caller's address, in the same budget as failed logins
 * (`login-ip:<bucket>`): over it, 429 (and this isolate refuses that address's key attempts until the window
 * ends); otherwise the usual 401.
 */
export async function failedKeyAttempt(c: Context<AppEnv>, now: number): Promise<never> {
  const key = failuresOf(clientIp(c.req.raw.headers));
  const policy = loginPolicies(c.get("config")).ip;
  const outcome = await reachLimiter(c, key, now, (limiter) => limiter.finishAttempt(crypto.randomUUID(), false, policy, now));
  // As for logins: the threshold-th failure still answers 401; attempts beyond it are refused.
  if (outcome && outcome.failures >= policy.threshold) rememberBlocked(key, now + policy.seconds * 1000);
  if (outcome && outcome.failures > policy.threshold) throw tooMany(policy.seconds);
  throw new AppError("UNAUTHORIZED", "Invalid or revoked API key");
}

/** Refuses, without any call, an address this isolate saw over its failure budget. */
export function refuseBlockedAddress(c: Context<AppEnv>, now: number): void {
  const blocked = blockedFor(failuresOf(clientIp(c.req.raw.headers)), now);
  if (blocked > 0) throw tooMany(blocked);
}

type VersionedKey = `user:${string}` | `apikey:${string}`;
type VersionName = "sessionVersion" | "permissionVersion";

async function raise(env: Env, key: VersionedKey, names: VersionName[], nowMs: number, failure: string): Promise<Versions> {
  try {
    return await limiterFor(env, key).raiseVersions(Object.fromEntries(names.map((name) => [name, nowMs])));
  } catch (error) {
    log("error", "version_raise_failed", { key, error: (error as Error).message });
    throw new AppError("SERVICE_UNAVAILABLE", failure, { dependency: "rate_limiter" }, { cause: error });
  }
}

/**
 * A change of sessions, roles or keys that must not answer success while the old state still works. The
 * versions rise in the key's Durable Object before `commit` (unreachable: 503, nothing written) and again
 * after it: a request that landed in between cached the old state under the first version, which the second
 * makes unreachable. If the second raise fails, the change is committed but may not be in force everywhere:
 * 503, and repeating the request finishes it (every such change is safe to repeat). `keys`: API keys the
 * change also stops (they act for the user), whose versions rise alongside.
 */
export async function behindRaisedVersions<T>(
  env: Env,
  key: VersionedKey,
  names: VersionName[],
  nowMs: number,
  commit: (raised: Versions) => Promise<T>,
  keys: `apikey:${string}`[] = [],
): Promise<T> {
  const raiseAll = async (failure: string) => {
    const [raised] = await Promise.all([
      raise(env, key, names, nowMs, failure),
      ...keys.map((k) => raise(env, k, ["sessionVersion"], nowMs, failure)),
    ]);
    return raised;
  };
  const before = await raiseAll("The change cannot be made right now; nothing was changed, retry later");
  const result = await commit(before);
  await raiseAll("The change was saved but is not yet in force everywhere; repeat the request to finish it");
  return result;
}

/** Raises versions after a change already committed elsewhere (a reused refresh token): 503 if unreachable. */
export async function raiseAfterCommit(env: Env, key: VersionedKey, names: VersionName[], nowMs: number): Promise<void> {
  await raise(env, key, names, nowMs, "Sessions were ended but not yet everywhere; retry later");
}

/** `RateLimit-*` response headers (IETF draft) describing the limit closest to running out. */
export function setRateLimitHeaders(c: Context, hit: Pick<HitResult, "limit" | "remaining" | "resetSeconds">): void {
  c.header("RateLimit-Limit", String(hit.limit));
  c.header("RateLimit-Remaining", String(hit.remaining));
  c.header("RateLimit-Reset", String(hit.resetSeconds));
}
