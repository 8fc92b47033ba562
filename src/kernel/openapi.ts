import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { AppError, ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from "./errors";
import { isStorableText } from "./text";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODE_NAMES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
      request_id: z.string(),
      documentation_url: z.url(),
    }),
  })
  .openapi("Error");

/** A JSON request body the route validates, with an example of a valid one (shown and tried in the reference). */
export const jsonBody = <T extends z.ZodType>(schema: T, example?: z.input<T>) => ({
  required: true,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** A JSON response of the route, with an example taken from the demo data. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T, example?: z.output<T>) => ({
  description,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** OpenAPI response entries for the error codes a route can answer with, grouped by their status. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, names]) => [
      status,
      { description: names.join(" or "), content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );
}

/** Errors any `/v1` route may answer with, whatever it does. */
export const COMMON_ERRORS: ErrorCode[] = ["INTERNAL_ERROR", "CONFIG_INVALID", "SERVICE_UNAVAILABLE"];

/** Errors any route behind `signedIn()` may answer with, besides its own. */
export const SIGNED_IN_ERRORS: ErrorCode[] = ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMIT_EXCEEDED", ...COMMON_ERRORS];

/** Errors of routes that read or write confidential fields (src/crypto), besides their own. */
export const CONFIDENTIAL_ERRORS: ErrorCode[] = ["DATA_INTEGRITY", "ENCRYPTION_KEY_UNAVAILABLE"];

/** Where a value came from, as a client names it. */
const SOURCES: Record<string, string> = { json: "body", query: "query", param: "path", header: "header", cookie: "cookie", form: "form" };

interface Issue {
  in: string;
  path: string;
  message: string;
  code: string;
}

const validationFailed = (issues: Issue[]) =>
  new AppError("VALIDATION_FAILED", issues.map((i) => `${i.in} ${i.path || "value"}: ${i.message}`).join("; "), { issues });

/**
 * Text Postgres refuses or mangles: NUL, and UTF-16 halves without their other half. Refused wherever it comes
 * from (every field of every body, query, path and header), here, instead of in each schema.
 */
function badText(value: unknown, path: string[] = []): string[] {
  if (typeof value === "string") return isStorableText(value) ? [] : [path.join(".")];
  if (Array.isArray(value)) return value.flatMap((v, i) => badText(v, [...path, String(i)]));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [...badText(k, path), ...badText(v, [...path, k])]);
  return [];
}

/** Fields of the raw body that validation dropped because no schema names them. */
function unknownFields(raw: unknown, parsed: unknown, path: string[] = []): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) return raw.flatMap((v, i) => unknownFields(v, parsed[i], [...path, String(i)]));
  if (!raw || typeof raw !== "object" || Array.isArray(raw) || !parsed || typeof parsed !== "object") return [];
  return Object.entries(raw).flatMap(([key, value]) =>
    key in parsed ? unknownFields(value, (parsed as Record<string, unknown>)[key], [...path, key]) : [[...path, key].join(".")],
  );
}

/**
 * A feature router: zod-openapi validation whose failures become 400 VALIDATION_FAILED with one issue per
 * problem, each saying where (`body`, `query`, `path`, `header`) and what. Also refused: text with NUL or
 * unpaired surrogates, and body fields no schema names (a misspelt field must not be lost silently).
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: async (result, c) => {
      const source = SOURCES[result.target] ?? result.target;
      if (!result.success) {
        throw validationFailed(
          result.error.issues.map((issue) => ({
            in: source,
            path: issue.path.map(String).join("."),
            message: /received undefined$/.test(issue.message) ? "is required" : issue.message,
            code: issue.code,
          })),
        );
      }
      const issues: Issue[] = badText(result.data).map((path) => ({
        in: source,
        path,
        message: "must be text without NUL characters or unpaired surrogates",
        code: "invalid_text",
      }));
      if (result.target === "json") {
        const raw: unknown = await c.req.json();
        issues.push(
          ...unknownFields(raw, result.data).map((path) => ({
            in: source,
            path,
            message: "is not a field of this request",
            code: "unrecognized_keys",
          })),
        );
      }
      if (issues.length > 0) throw validationFailed(issues);
    },
  });
}
