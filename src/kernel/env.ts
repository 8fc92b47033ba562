import type { RateLimiter } from "../durable/rate-limiter";

/** A queue message of webhook delivery: which delivery to attempt (its content stays in the database). */
export interface WebhookMessage {
  tenant_id: string;
  delivery_id: string;
}

/** Bindings and variables of the Worker (wrangler.toml `[vars]`, secrets via `wrangler secret put`). */
export interface Env {
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  PERMISSIONS_KV: KVNamespace;
  /** Workers Analytics Engine (src/edge/metrics.ts); absent in unit tests that build the app alone. */
  METRICS?: AnalyticsEngineDataset;
  /** Cloudflare Queues: webhook deliveries, and their dead letters (src/domain/webhook-delivery.ts). */
  WEBHOOKS?: Queue<WebhookMessage>;
  WEBHOOK_DEAD_LETTERS?: Queue<WebhookMessage>;
  /** Cloudflare Flagship: feature flags and kill switches (src/kernel/flags.ts); without it every switch is off. */
  FLAGS?: Flagship;
  ENVIRONMENT?: string;
  DATABASE_URL?: string;
  NEON_FETCH_ENDPOINT?: string;
  ALLOWED_ORIGINS?: string;
  SENTRY_DSN?: string;
  PIN_PEPPER?: string;
  JWT_SIGNING_KEY?: string;
  JWT_PREVIOUS_SIGNING_KEY?: string;
  DB_CLAIMS_KEY?: string;
  DATA_KEK?: string;
  DATA_KEK_PREVIOUS?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  OIDC_ISSUERS?: string;
  RATE_LIMIT_USER_PER_MINUTE?: string;
  RATE_LIMIT_USER_PER_HOUR?: string;
  RATE_LIMIT_IP_PER_MINUTE?: string;
  LOGIN_FAILURES_PER_IP?: string;
  LOGIN_FAILURE_WINDOW_SECONDS?: string;
  LOCKOUT_THRESHOLD?: string;
  LOCKOUT_SECONDS?: string;
  SECURITY_BULK_ADJUSTMENTS?: string;
  SECURITY_BULK_WINDOW_MINUTES?: string;
}
