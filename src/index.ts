import { createApp } from "./app";
import type { Env } from "./kernel/env";
import { onSchedule } from "./scheduler/daily";
import { onQueue } from "./scheduler/webhook-queue";

export { RateLimiter } from "./durable/rate-limiter";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: onSchedule,
  queue: (batch, env, ctx) => onQueue(batch, env, ctx),
} satisfies ExportedHandler<Env>;
