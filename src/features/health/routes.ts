import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../../../package.json";
import { AppError, errorBody } from "../../kernel/errors";
import { describeError, log } from "../../kernel/logger";
import { createRouter, ErrorSchema, jsonResponse } from "../../kernel/openapi";
import { CHECK_NAMES, checkReadiness } from "./service";

const NO_STORE = { "Cache-Control": "no-store" };

const HealthSchema = z.object({ status: z.literal("ok"), version: z.string() }).openapi("Health");
const CheckSchema = z
  .object({ status: z.enum(["ok", "fail"]), duration_ms: z.number(), error: z.string().optional() })
  .catchall(z.unknown());
const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    version: z.string(),
    checks: z.object(
      Object.fromEntries(CHECK_NAMES.map((name) => [name, CheckSchema])) as Record<(typeof CHECK_NAMES)[number], typeof CheckSchema>,
    ),
    failing: z.array(z.enum(CHECK_NAMES)),
  })
  .openapi("Readiness");

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["Health"],
  summary: "Liveness for uptime monitors",
  description: "Performs no I/O at all and is never rate-limited.",
  responses: { 200: jsonResponse("The Worker answers", HealthSchema) },
});

const live = createRoute({ ...health, path: "/health/live", summary: "Liveness probe", description: "Same as /health. No I/O." });

const ready = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Health"],
  summary: "Readiness: configuration, Postgres, KV and the Durable Object",
  description: "Each check has its own short deadline. 503 names the failing checks in `failing` and in the error.",
  responses: {
    200: jsonResponse("Every dependency answered", ReadinessSchema),
    503: {
      description: "At least one dependency failed",
      content: { "application/json": { schema: ReadinessSchema.extend({ error: ErrorSchema.shape.error }) } },
    },
  },
});

export const healthRoutes = createRouter()
  .openapi(health, (c) => c.json({ status: "ok" as const, version: pkg.version }, 200, NO_STORE))
  .openapi(live, (c) => c.json({ status: "ok" as const, version: pkg.version }, 200, NO_STORE))
  .openapi(ready, async (c) => {
    const readiness = await checkReadiness(c.env);
    const body = { version: pkg.version, checks: readiness.checks, failing: readiness.failing };
    if (readiness.ready) return c.json({ status: "ready" as const, ...body }, 200, NO_STORE);
    log("warn", "readiness_failed", {
      request_id: c.get("requestId"),
      failing: readiness.failing,
      errors: Object.fromEntries(Object.entries(readiness.errors).map(([name, e]) => [name, describeError(e)])),
    });
    const error = new AppError("SERVICE_UNAVAILABLE", `Not ready: ${readiness.failing.join(", ")}`, { failing: readiness.failing });
    return c.json({ status: "unavailable" as const, ...body, ...errorBody(c, error) }, 503, NO_STORE);
  });
