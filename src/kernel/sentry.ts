import { type Options, Toucan } from "toucan-js";
import pkg from "../../package.json";
import type { Config } from "./config";
import { REDACTED, redact } from "./logger";

/**
 * The only module that talks to Sentry. A client is built only when there is something to report, and
 * toucan sends through `waitUntil`, so neither a slow nor a failing Sentry touches the response.
 */
export interface ErrorReport {
  requestId: string;
  route: string;
  /** The API error code (DATABASE_ERROR, DATA_INTEGRITY, …), as a tag to search by. */
  code?: string;
  traceId?: string;
  userId?: string;
}

/** Headers that are safe to attach to an event; everything else (Authorization, Cookie, …) never leaves. */
type SentryEvent = Parameters<NonNullable<Options["beforeSend"]>>[0];

const SAFE_HEADERS = [
  "user-agent",
  "content-type",
  "content-length",
  "accept",
  "origin",
  "referer",
  "x-request-id",
  "cf-ray",
  "cf-ipcountry",
];
const SAFE_SEARCH_PARAM = /^(?!.*(token|key|secret|password|code|sig|session)).*$/i;

/** An unreachable Sentry would otherwise surface as an uncaught rejection inside toucan's transport. */
const fetchNeverRejecting: typeof fetch = (input, init) =>
  fetch(input, init).catch(() => new Response(null, { status: 503, statusText: "Sentry unreachable" }));

export function scrubEvent(event: SentryEvent): SentryEvent {
  if (event.request) {
    delete event.request.cookies;
    delete event.request.data;
    if (event.request.headers) event.request.headers = redact(event.request.headers) as Record<string, string>;
    if (typeof event.request.query_string === "string") {
      const params = new URLSearchParams(event.request.query_string);
      for (const key of params.keys()) if (!SAFE_SEARCH_PARAM.test(key)) params.set(key, REDACTED);
      event.request.query_string = params.toString();
    }
  }
  if (event.extra) event.extra = redact(event.extra) as Record<string, unknown>;
  if (event.breadcrumbs) event.breadcrumbs = redact(event.breadcrumbs) as typeof event.breadcrumbs;
  return event;
}

export function reportError(
  config: Pick<Config, "SENTRY_DSN" | "ENVIRONMENT"> | undefined,
  executionCtx: ExecutionContext | undefined,
  request: Request | undefined,
  error: unknown,
  report: ErrorReport,
): void {
  if (!config?.SENTRY_DSN || !executionCtx) return;
  try {
    const sentry = new Toucan({
      dsn: config.SENTRY_DSN,
      context: executionCtx,
      transportOptions: { fetcher: fetchNeverRejecting },
      ...(request ? { request } : {}),
      environment: config.ENVIRONMENT,
      release: `leave-ledger@${pkg.version}`,
      requestDataOptions: {
        allowedHeaders: SAFE_HEADERS,
        allowedCookies: false,
        allowedSearchParams: SAFE_SEARCH_PARAM,
        allowedIps: false,
      },
      beforeSend: scrubEvent,
    });
    sentry.setTag("request_id", report.requestId);
    sentry.setTag("route", report.route);
    if (report.code) sentry.setTag("code", report.code);
    if (report.traceId) sentry.setTag("trace_id", report.traceId);
    if (report.userId) sentry.setUser({ id: report.userId });
    sentry.captureException(error);
  } catch {
    // Reporting must never turn into a second failure.
  }
}
