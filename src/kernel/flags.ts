import { FLAG_CACHE_MS } from "./constants";
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

/** Per isolate: each (flag, tenant)'s value for FLAG_CACHE_MS, kept after that as the last value seen. */
const known = new Map<string, Known>();
const MAX_KNOWN = 10_000;

/** Forgets every cached evaluation (tests that flip flags). */
export function forgetFlags(): void {
  known.clear();
}

/**
 * Whether `flag` is on for `context` at `nowMs`. At most one Flagship call per flag and tenant every FLAG_CACHE_MS
 * per isolate, so a switch takes effect within that; never throws.
 */
export async function isOn(flags: Flagship | undefined, flag: Flag, context: FlagContext, nowMs: number): Promise<boolean> {
  if (!flags) return flag.safe;
  const cacheKey = `${flag.key}\u0000${context.tenantId ?? ""}\u0000${context.tenantSlug ?? ""}`;
  const cached = known.get(cacheKey);
  if (cached && nowMs - cached.fetchedAt < FLAG_CACHE_MS) return cached.value;
  const evaluation: FlagshipEvaluationContext = {
    ...(context.tenantId !== undefined ? { tenant_id: context.tenantId } : {}),
    ...(context.tenantSlug !== undefined ? { tenant_slug: context.tenantSlug } : {}),
  };
  const targetingKey = context.tenantId ?? context.tenantSlug;
  if (targetingKey !== undefined) evaluation.targetingKey = targetingKey;
  let value: boolean;
  try {
    const details = await flags.getBooleanDetails(flag.key, flag.safe, evaluation);
    if (details.errorCode && details.errorCode !== "FLAG_NOT_FOUND") throw new Error(`${details.errorCode}: ${details.errorMessage ?? ""}`);
    value = details.value;
  } catch (error) {
    // Unreachable: the last value seen (else the safe one), asked again after FLAG_CACHE_MS.
    log("warn", "flag_unavailable", { flag: flag.key, error: (error as Error).message });
    value = cached?.value ?? flag.safe;
  }
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(cacheKey, { value, fetchedAt: nowMs });
  return value;
}
