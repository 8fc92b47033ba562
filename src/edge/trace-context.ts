import type { MiddlewareHandler } from "hono";
import { randomHex } from "../kernel/bytes";
import type { AppEnv, TraceContext } from "../kernel/context";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

export function parseTraceparent(header: string | undefined): Omit<TraceContext, "spanId" | "traceparent"> | null {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match) return null;
  const [, traceId, parentSpanId, flags] = match as unknown as [string, string, string, string];
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentSpanId)) return null;
  return { traceId, parentSpanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function startSpan(header: string | undefined): TraceContext {
  const parent = parseTraceparent(header) ?? { traceId: randomHex(16), parentSpanId: null, sampled: false };
  const spanId = randomHex(8);
  return { ...parent, spanId, traceparent: `00-${parent.traceId}-${spanId}-${parent.sampled ? "01" : "00"}` };
}

export const traceContext = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const trace = startSpan(c.req.header("traceparent"));
  c.set("trace", trace);
  // Set before the route answers: a header set after it copies the whole response.
  c.header("traceparent", trace.traceparent);
  await next();
};
