import type { RateLimiter } from "./durable/rate-limiter";

/** Bindings and variables of the Worker (wrangler.toml `[vars]`, secrets via `wrangler secret put`). */
export interface Env {
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  PERMISSIONS_KV: KVNamespace;
  ENVIRONMENT?: string;
  DATABASE_URL?: string;
  NEON_FETCH_ENDPOINT?: string;
  ALLOWED_ORIGINS?: string;
  SENTRY_DSN?: string;
  PIN_PEPPER?: string;
}
