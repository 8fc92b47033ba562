import type { Env } from "../env";
import type { Context } from "hono";
import type { AttemptPolicy, HitResult, WindowLimit } from "../durable/rate-limiter";
import type { Config } from "../edge/config";

/** The Durable Object that counts for one key. Key names are documented in README "Storage". */
export function limiterFor(env: Env, key: `user:${string}` | `ip:${string}` | `login-account:${string}` | `login-ip:${string}` | `apikey:${string}`) {
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

/** `RateLimit-*` response headers (IETF draft) describing the limit closest to running out. */
export function setRateLimitHeaders(c: Context, hit: Pick<HitResult, "limit" | "remaining" | "resetSeconds">): void {
  c.header("RateLimit-Limit", String(hit.limit));
  c.header("RateLimit-Remaining", String(hit.remaining));
  c.header("RateLimit-Reset", String(hit.resetSeconds));
}
