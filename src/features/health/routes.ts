import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../../../package.json";
import { SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS } from "../../kernel/constants";
import { AppError, errorBody } from "../../kernel/errors";
import { FLAGS, isOn } from "../../kernel/flags";
import { describeError, log } from "../../kernel/logger";
import { createRouter, ErrorSchema, jsonResponse } from "../../kernel/openapi";
import { CHECK_NAMES, checkReadiness } from "./service";

const NO_STORE = { "Cache-Control": "no-store" };

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string().openapi({ description: "The deployed API version (semantic versioning)", example: pkg.version }),
  })
  .openapi("Health");
const CheckSchema = z
  .object({
    status: z.enum(["ok", "fail"]),
    duration_ms: z.number().openapi({ description: "How long the check took, in milliseconds" }),
    error: z
      .string()
      .optional()
      .openapi({ description: "Why the check failed (an error code or a timeout); only when `status` is `fail`" }),
    schema_version: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "`database` only: the last migration applied to Postgres (null before the first)" }),
  })
  .catchall(z.unknown());
const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    version: z.string().openapi({ description: "The deployed API version (semantic versioning)" }),
    checks: z
      .object(
        Object.fromEntries(CHECK_NAMES.map((name) => [name, CheckSchema])) as Record<(typeof CHECK_NAMES)[number], typeof CheckSchema>,
      )
      .openapi({ description: "One result per dependency, each checked at once with its own deadline" }),
    failing: z.array(z.enum(CHECK_NAMES)).openapi({ description: "The checks that failed; empty when ready" }),
    maintenance: z
      .boolean()
      .openapi({ description: "Whether the maintenance switch is on: writes answer 503, reads keep working (the API is still ready)" }),
  })
  .openapi("Readiness");

const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Health"],
  summary: "Liveness for uptime monitors",
  description: "Answers as long as the Worker runs: performs no I/O at all and is never rate-limited. Public.",
  responses: { 200: jsonResponse("The Worker answers", HealthSchema, { status: "ok", version: pkg.version }) },
});

const live = createRoute({
  ...health,
  path: "/health/live",
  operationId: "getLiveness",
  summary: "Liveness probe",
  description: "The same as `GET /health`, at the path orchestrators expect: no I/O, never rate-limited. Public.",
});

const ready = createRoute({
  method: "get",
  path: "/health/ready",
  operationId: "getReadiness",
  tags: ["Health"],
  summary: "Readiness of every dependency",
  description:
    "Checks the configuration, Postgres, KV and the rate-limiter Durable Object at once, each with its own short deadline. " +
    "Answers 200 when all of them answer, otherwise 503 naming the failing checks in `failing` and in the error; `maintenance` says " +
    "whether writes are switched off (the API stays ready for reads). " +
    "Public and never cached; use it for load balancers and deploy gates.",
  responses: {
    200: jsonResponse("Every dependency answered", ReadinessSchema, {
      status: "ready",
      version: pkg.version,
      checks: {
        config: { status: "ok", duration_ms: 0 },
        database: { status: "ok", duration_ms: 18, schema_version: "0016_permission_vocabulary" },
        kv: { status: "ok", duration_ms: 4 },
        durable_object: { status: "ok", duration_ms: 6 },
      },
      failing: [],
      maintenance: false,
    }),
    503: {
      description: "At least one dependency failed",
      content: {
        "application/json": {
          schema: ReadinessSchema.extend({ error: ErrorSchema.shape.error }),
          example: {
            status: "unavailable",
            version: pkg.version,
            checks: {
              config: { status: "ok", duration_ms: 0 },
              database: { status: "fail", duration_ms: 2001, error: "no answer within 2000 ms" },
              kv: { status: "ok", duration_ms: 4 },
              durable_object: { status: "ok", duration_ms: 6 },
            },
            failing: ["database"],
            maintenance: false,
            error: {
              code: "SERVICE_UNAVAILABLE",
              message: "Not ready: database",
              details: { failing: ["database"] },
              request_id: "0b6f2a52-3d4e-4a8c-9f1e-2c7d5e8a9b10",
              documentation_url: "https://api.leave-ledger.example/docs#description/service-unavailable",
            },
          },
        },
      },
    },
  },
});

export const healthRoutes = createRouter()
  .openapi(health, (c) => c.json({ status: "ok" as const, version: pkg.version }, 200, NO_STORE))
  .openapi(live, (c) => c.json({ status: "ok" as const, version: pkg.version }, 200, NO_STORE))
  .openapi(ready, async (c) => {
    const [readiness, maintenance] = await Promise.all([checkReadiness(c.env), isOn(c.env.FLAGS, FLAGS.maintenance, {}, c.get("now"))]);
    const body = { version: pkg.version, checks: readiness.checks, failing: readiness.failing, maintenance };
    if (readiness.ready) return c.json({ status: "ready" as const, ...body }, 200, NO_STORE);
    log("warn", "readiness_failed", {
      request_id: c.get("requestId"),
      failing: readiness.failing,
      errors: Object.fromEntries(Object.entries(readiness.errors).map(([name, e]) => [name, describeError(e)])),
    });
    const error = new AppError("SERVICE_UNAVAILABLE", `Not ready: ${readiness.failing.join(", ")}`, { failing: readiness.failing });
    return c.json({ status: "unavailable" as const, ...body, ...errorBody(c, error) }, 503, {
      ...NO_STORE,
      "Retry-After": String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS),
    });
  });
