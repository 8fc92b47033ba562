/** Structured JSON logs, one object per line; values under sensitive keys never reach the output. */

type Level = "debug" | "info" | "warn" | "error";

const SENSITIVE_KEY = /authorization|cookie|token|secret|password|passwd|pepper|api[-_]?key|dsn|signature|session|(^|[-_])pin($|[-_])/i;
export const REDACTED = "[REDACTED]";

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      SENSITIVE_KEY.test(key) ? REDACTED : redact(item, depth + 1),
    ]),
  );
}

/** A URL's path and query with the values of sensitive query parameters replaced. */
export function redactUrl(url: URL): string {
  if (!url.search) return url.pathname;
  const params = new URLSearchParams();
  for (const [key, value] of url.searchParams) params.append(key, SENSITIVE_KEY.test(key) ? REDACTED : value);
  return `${url.pathname}?${params.toString()}`;
}

/** Writes one line. `fields` are redacted unless the caller vouches that it built them from safe values only. */
export function log(level: Level, event: string, fields: Record<string, unknown> = {}, options: { redacted?: boolean } = {}): void {
  const line = JSON.stringify({
    level,
    event,
    time: new Date().toISOString(),
    ...(options.redacted ? fields : (redact(fields) as object)),
  });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** An error as loggable fields (Error objects serialise to `{}`), causes included. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) described.code = code;
  if (error.cause !== undefined) described.cause = describeError(error.cause);
  return described;
}
