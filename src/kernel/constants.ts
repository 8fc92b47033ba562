/** Every tunable number of the edge, named once. Durations are in milliseconds unless the name says otherwise. */

/** Largest request body accepted (413 above). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Incoming `X-Request-Id` values longer than this are replaced by a generated id. */
export const MAX_REQUEST_ID_LENGTH = 128;
export const REQUEST_ID_HEADER = "X-Request-Id";
/** Set by Cloudflare's edge to the client's address; required in staging and production. */
export const CLIENT_IP_HEADER = "CF-Connecting-IP";
/** Required on every write with ledger effects; a replay of the key answers with the first answer and this header. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** One database round trip (HTTP batch) may take this long before the request gives up with 503. */
export const DB_REQUEST_TIMEOUT_MS = 8_000;
/** Postgres cancels a statement after this long; shorter than the request timeout so the server stops too. */
export const DB_STATEMENT_TIMEOUT_MS = 5_000;
/** `Retry-After` of a 503 whose thrower did not name a better one. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
/** Waits before retrying a transaction that hit a serialization failure or deadlock. */
export const DB_RETRY_DELAYS_MS = [100, 200, 400] as const;

/** Each readiness check must answer within this. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/** Secrets shorter than this (in bytes) are refused at startup. */
export const MIN_SECRET_BYTES = 32;
/** A key-encryption key (DATA_KEK) is an AES-256 key: exactly this many bytes. */
export const DATA_KEK_BYTES = 32;

/** Where `documentation_url` of every error points: its heading in the reference page served by this API. */
export const ERROR_DOCS_PATH = "/docs#description";

/** Access tokens live this long; refresh tokens this long (rotated on every use). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const JWT_CLOCK_SKEW_SECONDS = 60;
/** Anything longer is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 4_096;
/** Permission cache entries in KV live this long (they are keyed by version, so they never go stale). */
export const PERMISSION_CACHE_TTL_SECONDS = 5 * 60;

/** An isolate keeps authorization state it looked up (API keys, roles, external subjects) at most this long. */
export const AUTH_CACHE_MAX_AGE_MS = 60_000;
/** How many entries each of those isolate caches holds. */
export const AUTH_CACHE_ENTRIES = 5_000;
/** Unwrapped data keys an isolate keeps (each for at most AUTH_CACHE_MAX_AGE_MS). */
export const DATA_KEY_CACHE_ENTRIES = 1_000;

/** External OIDC issuers: their JWKS is kept this long (memory and KV) and refetched at most this often. */
export const JWKS_CACHE_TTL_SECONDS = 60 * 60;
export const JWKS_REFETCH_COOLDOWN_SECONDS = 60;
export const JWKS_FETCH_TIMEOUT_MS = 3_000;
/** External tokens older than this are refused whatever their `exp` says. */
export const EXTERNAL_TOKEN_MAX_AGE_SECONDS = 60 * 60;

/** Audit rows an export reads per database round trip (its memory stays bounded by this, whatever the log's size). */
export const AUDIT_EXPORT_PAGE_ROWS = 1_000;
/** Fields sealed, and data keys re-wrapped, per chunk of the daily job (each chunk one transaction). */
export const KEY_JOB_CHUNK = 500;
/** Lines of the tenant's NDJSON export read per round trip (each page opened before the next is read). */
export const TENANT_EXPORT_PAGE_ROWS = 1_000;
/** Items of one section of a person's data export read per round trip (each opened before the next is read). */
export const SUBJECT_EXPORT_PAGE_ITEMS = 500;

/** The longest leave request, in calendar days (longer absences are HR adjustments, not requests). */
export const MAX_REQUEST_SPAN_DAYS = 366;
/** How far ahead of today forecasts and simulations look: their cost grows with the months projected. */
export const FORECAST_HORIZON_YEARS = 3;

/**
 * Items per call of the chunked ledger runs (employees per accrual call, accounts per rollover call, entries
 * per reversal call): each call is one set-based statement, well inside a Worker's limits. The SQL functions
 * clamp to the same numbers (`app.chunk_size`, generated from this table by `npm run db:functions`).
 */
export const CHUNK_LIMITS = {
  accruals: { default: 500, max: 2_000 },
  rollover: { default: 500, max: 2_000 },
  reversal: { default: 1_000, max: 5_000 },
} as const;
/** How long the scheduled run keeps working before it stops (the next run continues: every step is repeatable). */
export const SCHEDULED_BUDGET_MS = 10 * 60_000;
/** How long an Idempotency-Key's first answer is kept for replay. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/**
 * At most this many audit rows are purged, and data keys destroyed, per tenant and run of the daily job's
 * retention; the next run goes on. (How long each tenant keeps them is its own setting: tenants' columns.)
 */
export const RETENTION_ROWS_PER_RUN = 10_000;
/**
 * Days domain events (and with them their finished webhook deliveries and delivery logs) are kept; one a delivery
 * still waits on, and each subject's newest (it numbers the next), stay longer.
 */
export const OUTBOX_RETENTION_DAYS = 30;

/** How long an isolate keeps a flag's value (src/kernel/flags.ts): a switch takes effect within this. */
export const FLAG_CACHE_MS = 10_000;
/** How long a request waits for Flagship before it takes the last value seen (or the safe one). */
export const FLAG_TIMEOUT_MS = 250;
/** What a request refused by a kill switch (maintenance, PIN sign-in) asks the client to wait, in seconds. */
export const SWITCHED_OFF_RETRY_AFTER_SECONDS = 60;

/** Webhook delivery (docs/integrations.md, "Delivery"). */
export const WEBHOOK_DELIVERY = {
  /** A receiver that has not answered by then has failed this attempt (`timeout`). */
  timeoutMs: 10_000,
  /** How long a claimed delivery is kept from other consumers: longer than an attempt can take. */
  leaseSeconds: 60,
  /** A delivery handed to the queue but not claimed within this long is handed out again by the sweep. */
  redispatchSeconds: 300,
  /** Failures in a row after which a delivery is dead-lettered and its subject waits. */
  maxFailures: 8,
  /** Retry n waits about base · 2^(n-1) seconds (from half of it to all of it, at random), at most `maxDelaySeconds`. */
  retryBaseSeconds: 30,
  maxDelaySeconds: 6 * 3_600,
  /** Deliveries handed to the queue per dispatch (the most one `sendBatch` takes). */
  dispatchLimit: 100,
  /** How long an isolate remembers that a tenant has no enabled subscription (writes then skip the dispatch). */
  unsubscribedMemoryMs: 60_000,
} as const;

/** The Cron Triggers (wrangler.toml `[triggers]`); the scheduled handler tells them apart by `controller.cron`. */
export const CRONS = {
  /** Daily: expire, forget, retain, seal, re-wrap, accrue (src/scheduler/daily.ts). */
  daily: "5 0 * * *",
  /** Minutely: hand due webhook deliveries whose message was lost to the queue again. */
  webhookSweep: "* * * * *",
} as const;
/** Sweep batches per minutely run (each up to WEBHOOK_DELIVERY.dispatchLimit deliveries). */
export const WEBHOOK_SWEEP_BATCHES = 20;

/** Methods that change nothing: the maintenance switch lets them through, and they never dispatch webhooks. */
export const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
