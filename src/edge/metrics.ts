import type { AppContext } from "../kernel/context";
import { writeMetric } from "../kernel/metrics";

/**
 * One Workers Analytics Engine data point per request (docs/operations.md, "Metrics", has its layout and the
 * queries of the dashboard and alerts). `writeDataPoint` is fire-and-forget, never awaited: a metrics outage
 * never slows or fails a request. Index: the tenant (or `-`), the sampling key.
 */
export function recordRequest(c: AppContext, route: string, durationMs: number): void {
  const principal = c.get("principal");
  const failure = c.get("failure");
  const database = c.get("database");
  writeMetric(c.env.METRICS, {
    indexes: [principal?.tenantId ?? "-"],
    blobs: [
      "request",
      route,
      c.req.method,
      String(c.res.status),
      failure?.code ?? "",
      failure?.reason ?? "",
      c.get("permissionCache") ?? "",
    ],
    doubles: [durationMs, c.res.status, database.roundTrips, database.retries],
  });
}
