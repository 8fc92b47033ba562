import { createApp } from "./app";
import type { Env } from "./kernel/env";
import { onSchedule } from "./scheduler/daily";

export { RateLimiter } from "./durable/rate-limiter";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: onSchedule,
} satisfies ExportedHandler<Env>;
