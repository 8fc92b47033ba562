import { resolve } from "node:path";

/**
 * Environment for wrangler that makes zero connections outside this machine. Checked on a machine that reaches
 * nothing else: without all three, wrangler sends telemetry, checks for updates or fetches Cloudflare's
 * request metadata (`send_metrics = false` in wrangler.toml alone still sends one event).
 */
export function offlineWranglerEnv(projectDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    // wrangler keeps its own state (metrics consent, logs) inside the project, not in the home directory.
    XDG_CONFIG_HOME: resolve(projectDir, ".data/wrangler-config"),
    WRANGLER_LOG_PATH: resolve(projectDir, ".data/wrangler-logs"),
  };
}
