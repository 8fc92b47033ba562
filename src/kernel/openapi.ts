import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { AppError, ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from "./errors";

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

/** A feature router: zod-openapi validation whose failures become 400 VALIDATION_FAILED with per-field details. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError("VALIDATION_FAILED", "The request does not match the schema", {
          issues: result.error.issues.map((issue) => ({
            path: issue.path.map(String).join("."),
            message: issue.message,
            code: issue.code,
          })),
        });
      }
    },
  });
}
