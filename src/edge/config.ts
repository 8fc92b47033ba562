import { z } from "zod";
import { MIN_SECRET_BYTES } from "../constants";

const ENVIRONMENTS = ["development", "test", "staging", "production"] as const;

const secret = z
  .string({ error: "is missing" })
  .refine((value) => new TextEncoder().encode(value).byteLength >= MIN_SECRET_BYTES, {
    error: `must be at least ${MIN_SECRET_BYTES} bytes`,
  });

const postgresUrl = z.string({ error: "is missing" }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "" && url.username !== "" && url.pathname.length > 1;
    } catch {
      return false;
    }
  },
  { error: "must be a postgres:// URL with user, host and database" },
);

export function splitOrigins(value: string | undefined): string[] {
  return (value ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
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
  })
  .superRefine((config, ctx) => {
    if ((config.ENVIRONMENT === "staging" || config.ENVIRONMENT === "production") && config.NEON_FETCH_ENDPOINT) {
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
