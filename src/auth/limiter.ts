import type { Context } from "hono";
import type { AttemptPolicy, HitResult, Versions, WindowLimit } from "../durable/rate-limiter";
import type { Config } from "../kernel/config";
import type { AppEnv } from "../kernel/context";
import type { Env } from "../kernel/env";
import { AppError } from "../kernel/errors";
import { log } from "../kernel/logger";

export type { AttemptStart } from "../durable/rate-limiter";

/** The Durable Object that counts for one key. Key names are documented in docs/storage.md. */
export function limiterFor(
  env: Env,
  key: `user:${string}` | `ip:${string}` | `login-account:${string}` | `login-ip:${string}` | `apikey:${string}`,
) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
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

/** The caller's address as Cloudflare reports it (`CF-Connecting-IP` is set by the edge, not the client). */
export function clientIp(headers: Headers): string {
  return headers.get("CF-Connecting-IP") ?? "127.0.0.1";
}

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
  key: `user:${string}` | `apikey:${string}` | `ip:${string}`,
  limits: WindowLimit[],
  now: number,
): Promise<HitResult | null> {
  const tooMany = (seconds: number) =>
    new AppError("RATE_LIMIT_EXCEEDED", "Too many requests", {}, { headers: { "Retry-After": String(seconds) } });
  const blocked = blockedFor(key, now);
  if (blocked > 0) throw tooMany(blocked);
  let hit: HitResult;
  try {
    hit = await limiterFor(c.env, key).hit(limits, now);
  } catch (error) {
    log("warn", "rate_limiter_unavailable", { request_id: c.get("requestId"), error: (error as Error).message });
    return null;
  }
  setRateLimitHeaders(c, hit);
  if (!hit.allowed) {
    rememberBlocked(key, now + hit.resetSeconds * 1000);
    throw tooMany(hit.resetSeconds);
  }
  return hit;
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
 * 503, and repeating the request finishes it (every such change is safe to repeat).
 */
export async function behindRaisedVersions<T>(
  env: Env,
  key: VersionedKey,
  names: VersionName[],
  nowMs: number,
  commit: (raised: Versions) => Promise<T>,
): Promise<T> {
  const before = await raise(env, key, names, nowMs, "The change cannot be made right now; nothing was changed, retry later");
  const result = await commit(before);
  await raise(env, key, names, nowMs, "The change was saved but is not yet in force everywhere; repeat the request to finish it");
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
