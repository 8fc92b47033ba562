import { z } from "zod";
import { fromBase64Url } from "./bytes";
import { DATA_KEK_BYTES, MIN_SECRET_BYTES } from "./constants";
import { log } from "./logger";

const ENVIRONMENTS = ["development", "test", "staging", "production"] as const;

/** Staging and production: behind Cloudflare's edge, with the stricter rules (https, no local endpoints). */
export const isDeployed = (environment: string | undefined): boolean => environment === "staging" || environment === "production";

const secret = z.string({ error: "is missing" }).refine((value) => new TextEncoder().encode(value).byteLength >= MIN_SECRET_BYTES, {
  error: `must be at least ${MIN_SECRET_BYTES} bytes`,
});

const postgresUrl = z.string({ error: "is missing" }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === "postgres:" || url.protocol === "postgresql:") &&
        url.hostname !== "" &&
        url.username !== "" &&
        url.pathname.length > 1
      );
    } catch {
      return false;
    }
  },
  { error: "must be a postgres:// URL with user, host and database" },
);

export function splitOrigins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
}

export function isOrigin(value: string): boolean {
  return URL.canParse(value) && new URL(value).origin === value;
}

const originList = z
  .string()
  .optional()
  .transform(splitOrigins)
  .refine((origins) => origins.every(isOrigin), {
    error: "must be a comma-separated list of origins such as https://app.example.com",
  });

const JWK_KID = /^[A-Za-z0-9._-]{1,64}$/;

/** A variable holding JSON: parsed, then checked by `schema`. */
const json = <T extends z.ZodType>(schema: T, notJson: string) =>
  z
    .string({ error: "is missing" })
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: notJson });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** An ES256 key as a JSON Web Key (a secret: it holds the private part `d`). */
const signingKey = json(
  z.object(
    {
      kty: z.literal("EC"),
      crv: z.literal("P-256"),
      x: z.string().min(40),
      y: z.string().min(40),
      d: z.string().min(40),
      kid: z.string().regex(JWK_KID),
      alg: z.literal("ES256").optional(),
    },
    { error: "must be an ES256 private JWK (kty EC, crv P-256, x, y, d) with a kid" },
  ),
  "must be a JSON Web Key",
);

/**
 * The key the Worker signs its database claims with (src/db/claims.ts): an HMAC-SHA256 key as a JSON Web Key,
 * `{"kty":"oct","k":"<base64url of at least 32 random bytes>","kid":"…"}` (`npm run -s db:claims-key -- generate <kid>`).
 * Postgres holds the same key under its `kid` in `claims_keys` and refuses claims it did not sign.
 */
export const claimsKeySchema = json(
  z.object(
    {
      kty: z.literal("oct"),
      k: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, "k must be base64url")
        .refine((k) => Math.floor((k.length * 3) / 4) >= MIN_SECRET_BYTES, `k must hold at least ${MIN_SECRET_BYTES} bytes`),
      kid: z.string().regex(JWK_KID),
      alg: z.literal("HS256").optional(),
    },
    { error: `must be an HMAC key as a JWK (kty oct, k: base64url of at least ${MIN_SECRET_BYTES} bytes) with a kid` },
  ),
  "must be a JSON Web Key",
);
export type ClaimsKey = z.infer<typeof claimsKeySchema>;

/**
 * The key-encryption key (src/crypto/data-keys.ts): AES-256 key wrap (RFC 3394) of the data keys that encrypt
 * confidential fields, as a JSON Web Key `{"kty":"oct","k":"<base64url of exactly 32 random bytes>","kid":"…",
 * "alg":"A256KW"}` (`npm run -s generate-data-kek -- <kid>`). The data keys' wrappings name the kid they need.
 */
export const dataKekSchema = json(
  z.object(
    {
      kty: z.literal("oct"),
      k: z.string().refine((k) => fromBase64Url(k)?.length === DATA_KEK_BYTES, `k must be base64url of exactly ${DATA_KEK_BYTES} bytes`),
      kid: z.string().regex(JWK_KID),
      alg: z.literal("A256KW").optional(),
    },
    { error: `must be an AES key-wrapping key as a JWK (kty oct, k: base64url of exactly ${DATA_KEK_BYTES} bytes, alg A256KW) with a kid` },
  ),
  "must be a JSON Web Key",
);
export type DataKek = z.infer<typeof dataKekSchema>;

/**
 * External OIDC issuers, each mapped to one tenant: JSON `[{ issuer, jwks_uri, audience, tenant_id, jit_link_by_email? }]`.
 * `jit_link_by_email`: a subject no user holds yet is linked, at its first sign-in, to the user of the email the
 * issuer vouched for (`email_verified: true`), under app.link_external_subject_by_email's rules.
 */
const oidcIssuers = json(
  z.array(
    z.strictObject({
      issuer: z.url(),
      jwks_uri: z.url({ protocol: /^https?$/ }),
      audience: z.string().min(1),
      tenant_id: z.uuid(),
      jit_link_by_email: z.boolean().default(false),
    }),
    { error: "must be a JSON array of { issuer, jwks_uri, audience, tenant_id, jit_link_by_email? }" },
  ),
  "must be a JSON array",
).default([]);

const count = (fallback: number) => z.coerce.number({ error: "must be a number" }).int().positive().default(fallback);

export const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(ENVIRONMENTS, { error: `must be one of ${ENVIRONMENTS.join(", ")}` }),
    DATABASE_URL: postgresUrl,
    /** Local stand-in for Neon's HTTP endpoint (scripts/local-neon); unset on Cloudflare. */
    NEON_FETCH_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    ALLOWED_ORIGINS: originList,
    SENTRY_DSN: z
      .string()
      .regex(/^https?:\/\/\w+(?::\w+)?@[\w.-]+(?::\d+)?\/[\w/]*\d+$/, "must be a Sentry DSN: https://<key>@<host>/<project id>")
      .optional(),
    /** Keys kiosk PIN hashes: a 4-digit PIN falls to offline guessing whatever the hash cost. */
    PIN_PEPPER: secret,
    /** Signs our access tokens. Rotation: move the old key to JWT_PREVIOUS_SIGNING_KEY, put a new one here. */
    JWT_SIGNING_KEY: signingKey,
    /** Still accepted for verification for one token lifetime after a rotation; never signs. */
    JWT_PREVIOUS_SIGNING_KEY: signingKey.optional(),
    /** Signs the claims of every database transaction; Postgres verifies them (docs/security.md). */
    DB_CLAIMS_KEY: claimsKeySchema,
    /** Wraps the data keys of confidential fields; new wrappings use it. Rotation: move it to DATA_KEK_PREVIOUS. */
    DATA_KEK: dataKekSchema,
    /** Still unwraps the data keys it wrapped until the re-wrap job has moved them to DATA_KEK; never wraps. */
    DATA_KEK_PREVIOUS: dataKekSchema.optional(),
    JWT_ISSUER: z.url({ error: "must be a URL identifying this API" }).default("https://api.leave-ledger.local"),
    JWT_AUDIENCE: z.string().min(1).default("leave-ledger-api"),
    OIDC_ISSUERS: oidcIssuers,
    RATE_LIMIT_USER_PER_MINUTE: count(100),
    RATE_LIMIT_USER_PER_HOUR: count(1_000),
    RATE_LIMIT_IP_PER_MINUTE: count(100),
    LOGIN_FAILURES_PER_IP: count(5),
    LOGIN_FAILURE_WINDOW_SECONDS: count(15 * 60),
    LOCKOUT_THRESHOLD: count(5),
    LOCKOUT_SECONDS: count(15 * 60),
    SECURITY_BULK_ADJUSTMENTS: count(50),
    SECURITY_BULK_WINDOW_MINUTES: count(10),
  })
  .superRefine((config, ctx) => {
    const production = isDeployed(config.ENVIRONMENT);
    if (production && config.OIDC_ISSUERS.some((i) => !i.jwks_uri.startsWith("https://"))) {
      ctx.addIssue({ code: "custom", path: ["OIDC_ISSUERS"], message: "jwks_uri must use https in staging and production" });
    }
    if (config.OIDC_ISSUERS.some((i) => i.issuer === config.JWT_ISSUER)) {
      ctx.addIssue({ code: "custom", path: ["OIDC_ISSUERS"], message: "an external issuer cannot be JWT_ISSUER" });
    }
    if (config.JWT_PREVIOUS_SIGNING_KEY && config.JWT_PREVIOUS_SIGNING_KEY.kid === config.JWT_SIGNING_KEY.kid) {
      ctx.addIssue({ code: "custom", path: ["JWT_PREVIOUS_SIGNING_KEY"], message: "must have a different kid than JWT_SIGNING_KEY" });
    }
    if (config.DATA_KEK_PREVIOUS && config.DATA_KEK_PREVIOUS.kid === config.DATA_KEK.kid) {
      ctx.addIssue({ code: "custom", path: ["DATA_KEK_PREVIOUS"], message: "must have a different kid than DATA_KEK" });
    }
    if (isDeployed(config.ENVIRONMENT) && config.NEON_FETCH_ENDPOINT) {
      ctx.addIssue({ code: "custom", path: ["NEON_FETCH_ENDPOINT"], message: "must not be set in staging or production" });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export interface ConfigProblem {
  variable: string;
  problem: string;
}
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** Checks variables and secrets; problems name the variable, never its value. */
export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === "" ? undefined : value]));
  const result = ConfigSchema.safeParse(blankToUndefined);
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "(config)"), problem: issue.message }));
  return { ok: false, problems };
}

/** The Workers runtime hands every request of an isolate the same `env` object: validate it once. */
const parsed = new WeakMap<object, ConfigResult>();

export function loadConfig(env: object): ConfigResult {
  let result = parsed.get(env);
  if (!result) {
    result = parseConfig({ ...env });
    parsed.set(env, result);
    if (!result.ok) log("error", "config_invalid", { problems: result.problems });
  }
  return result;
}
