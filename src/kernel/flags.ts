import { LRUCache } from "lru-cache";
import { FLAG_CACHE_MS, FLAG_TIMEOUT_MS } from "./constants";
import { log } from "./logger";

/**
 * Operators' switches, evaluated by Cloudflare Flagship (the `FLAGS` binding; docs/operations.md, "Feature flags
 * and kill switches"). Each flag is a boolean whose `safe` value is what the system does without Flagship: when
 * the flag is not defined, or Flagship cannot be reached and this isolate has never seen the flag's value.
 */
export const FLAGS = {
  /** Writes answer 503 with Retry-After; reads, sign-in and /health keep working. */
  maintenance: { key: "maintenance-mode", safe: false },
  /** Webhook deliveries are not sent (the outbox keeps filling; nothing is lost); per tenant. */
  webhooksPaused: { key: "webhooks-paused", safe: false },
  /** The daily job posts no accruals (expiry and retention still run); per tenant. */
  accrualJobPaused: { key: "accrual-job-paused", safe: false },
  /** Kiosk sign-in by PIN answers 503; per tenant. */
  pinLoginDisabled: { key: "pin-login-disabled", safe: false },
} as const;

export type Flag = (typeof FLAGS)[keyof typeof FLAGS];

/**
 * Who a flag is evaluated for. Flagship's rules may target the attributes `tenant_id` (or `tenant_slug`, for sign-in
 * by PIN, before the tenant's id is known); a percentage rollout buckets by tenant.
 */
export interface FlagContext {
  tenantId?: string;
  tenantSlug?: string;
}

interface Known {
  value: boolean;
  fetchedAt: number;
}

/**
 * Per isolate: each flag's value for FLAG_CACHE_MS, kept after that as the last value seen. Flags asked without a
 * tenant (maintenance) have their own map, which sign-in attempts naming random tenants cannot push out.
 */
const global = new Map<string, Known>();
const perTenant = new LRUCache<string, Known>({ max: 10_000 });
/** One Flagship call per flag and tenant at a time: concurrent requests share it. */
const inFlight = new Map<string, Promise<boolean>>();

/** Forgets every cached evaluation (tests that flip flags). */
export function forgetFlags(): void {
  global.clear();
  perTenant.clear();
  inFlight.clear();
}

/**
 * Whether `flag` is on for `context` at `nowMs`. At most one Flagship call per flag and tenant every FLAG_CACHE_MS
 * per isolate, so a switch takes effect within that; never throws, and never waits on Flagship longer than
 * FLAG_TIMEOUT_MS (then the last value seen, else the safe one, for another FLAG_CACHE_MS).
 */
export async function isOn(flags: Flagship | undefined, flag: Flag, context: FlagContext, nowMs: number): Promise<boolean> {
  if (!flags) return flag.safe;
  const tenantKnown = context.tenantId !== undefined || context.tenantSlug !== undefined;
  const store: { get(k: string): Known | undefined; set(k: string, v: Known): unknown } = tenantKnown ? perTenant : global;
  const cacheKey = `${flag.key}\u0000${context.tenantId ?? ""}\u0000${context.tenantSlug ?? ""}`;
  const cached = store.get(cacheKey);
  if (cached && nowMs - cached.fetchedAt < FLAG_CACHE_MS) return cached.value;
  const pending = inFlight.get(cacheKey);
  if (pending) return pending;
  const evaluation: FlagshipEvaluationContext = {
    ...(context.tenantId !== undefined ? { tenant_id: context.tenantId } : {}),
    ...(context.tenantSlug !== undefined ? { tenant_slug: context.tenantSlug } : {}),
  };
  const targetingKey = context.tenantId ?? context.tenantSlug;
  if (targetingKey !== undefined) evaluation.targetingKey = targetingKey;
  const ask = (async () => {
    let value: boolean;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${FLAG_TIMEOUT_MS} ms`)), FLAG_TIMEOUT_MS);
      });
      const details = await Promise.race([flags.getBooleanDetails(flag.key, flag.safe, evaluation), deadline]);
      if (details.errorCode && details.errorCode !== "FLAG_NOT_FOUND")
        throw new Error(`${details.errorCode}: ${details.errorMessage ?? ""}`);
      value = details.value;
    } catch (error) {
      // Unreachable: the last value seen (else the safe one), asked again after FLAG_CACHE_MS.
      log("warn", "flag_unavailable", { flag: flag.key, error: (error as Error).message });
      value = cached?.value ?? flag.safe;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      inFlight.delete(cacheKey);
    }
    store.set(cacheKey, { value, fetchedAt: nowMs });
    return value;
  })();
  inFlight.set(cacheKey, ask);
  return ask;
}
