import type { Context } from "hono";
import type { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_DOCS_PATH, SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS } from "./constants";

/** Every error code the API answers with, its HTTP status and what it means (rendered on /docs). */
export const ERROR_CODES = {
  INVALID_INPUT: { status: 400, description: "The request could not be read: malformed JSON, a bad header or query string." },
  VALIDATION_FAILED: { status: 400, description: "The request was read but broke the schema; `details.issues` lists each field." },
  UNAUTHORIZED: { status: 401, description: "No valid credentials were presented." },
  FORBIDDEN: { status: 403, description: "The caller is known but may not do this." },
  RESOURCE_NOT_FOUND: { status: 404, description: "No such route or resource (resources of other tenants included)." },
  METHOD_NOT_ALLOWED: { status: 405, description: "The route exists but not with this method; see the `Allow` header." },
  CONFLICT: { status: 409, description: "The request conflicts with the current state of the resource." },
  DUPLICATE_REQUEST: { status: 409, description: "The Idempotency-Key was used before with a different body." },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The request body is larger than the limit." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "Request bodies must be `application/json`." },
  INSUFFICIENT_BALANCE: {
    status: 422,
    description: "The balance available does not cover the request; `details` has `requested`, `available` and `policy_id`.",
  },
  NOT_ELIGIBLE: {
    status: 422,
    description: "The employee is not assigned to the policy for these dates, or its waiting period has not ended.",
  },
  ACCOUNT_LOCKED: { status: 429, description: "Too many failed logins for this identifier; see `Retry-After`." },
  RATE_LIMIT_EXCEEDED: { status: 429, description: "Too many requests; see `Retry-After`." },
  INTERNAL_ERROR: { status: 500, description: "An unexpected error. It was logged and reported with the request id." },
  CONFIG_INVALID: { status: 500, description: "The deployment's configuration is invalid; `details.variables` names the variables." },
  DATABASE_ERROR: { status: 500, description: "The database refused the operation unexpectedly. Nothing was written." },
  DATA_INTEGRITY: {
    status: 500,
    description:
      "Stored confidential data failed its integrity check (it was changed or moved), so it was not returned. It was logged and reported, without the data.",
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    description:
      "A dependency (the database, the rate limiter) is unavailable; retry after `Retry-After` seconds with the same Idempotency-Key: a write either committed once or not at all.",
  },
  ENCRYPTION_KEY_UNAVAILABLE: {
    status: 503,
    description:
      "A key needed to encrypt or decrypt confidential data is not configured here (`details.kek_id` names it). Nothing was written.",
  },
} as const satisfies Record<string, { status: ContentfulStatusCode; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The one error type: handlers throw it, `renderError` turns it (and anything else) into the error shape. */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get status(): ContentfulStatusCode {
    return ERROR_CODES[this.code].status;
  }
}

const CODE_BY_HTTP_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "INVALID_INPUT",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "RESOURCE_NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMIT_EXCEEDED",
  503: "SERVICE_UNAVAILABLE",
};

/** Hono's own middleware (JSON parsing, body limit) throws HTTPException; give it our code, keep its message. */
export function fromHttpException(error: HTTPException): AppError {
  const code = CODE_BY_HTTP_STATUS[error.status] ?? "INTERNAL_ERROR";
  const message = code === "INTERNAL_ERROR" ? "Internal error" : error.message || code;
  return new AppError(code, message, {}, { cause: error });
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown>; request_id: string; documentation_url: string };
}

/** The error code's heading in the reference page (/docs, whose anchors are lower-case with hyphens). */
export const errorDocumentationUrl = (origin: string, code: ErrorCode) =>
  `${origin}${ERROR_DOCS_PATH}/${code.toLowerCase().replaceAll("_", "-")}`;

export function errorBody(c: Context, error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      details: error.details,
      request_id: c.get("requestId") ?? "",
      documentation_url: errorDocumentationUrl(new URL(c.req.url).origin, error.code),
    },
  };
}

/** Every 503 tells the client when to retry (with the same Idempotency-Key), whoever threw it. */
export function errorResponse(c: Context, error: AppError): Response {
  const headers = { ...error.options.headers };
  if (error.status === 503 && headers["Retry-After"] === undefined)
    headers["Retry-After"] = String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS);
  return c.json(errorBody(c, error), error.status, headers);
}
