import { log } from "./logger";

/**
 * Writes one Workers Analytics Engine data point, fire-and-forget: `writeDataPoint` is never awaited and a broken
 * dataset only logs, so metrics never slow or fail the work they describe (docs/operations.md, "Metrics").
 */
export function writeMetric(dataset: AnalyticsEngineDataset | undefined, point: AnalyticsEngineDataPoint): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint(point);
  } catch (error) {
    log("warn", "metrics_unavailable", { error: (error as Error).message });
  }
}
