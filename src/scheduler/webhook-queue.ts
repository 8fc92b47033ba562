import { z } from "zod";
import { attemptDelivery, type DeliveryDeps } from "../domain/webhook-delivery";
import { retryDelaySeconds } from "../domain/webhooks";
import { loadConfig } from "../kernel/config";
import { WEBHOOK_DELIVERY } from "../kernel/constants";
import type { Env, WebhookMessage } from "../kernel/env";
import { describeError, log } from "../kernel/logger";
import { writeMetric } from "../kernel/metrics";
import { reportError } from "../kernel/sentry";

/** The dead-letter queue is the delivery queue's name with this suffix (wrangler.toml). */
export const DEAD_LETTER_SUFFIX = "-dlq";

const Message = z.object({ tenant_id: z.uuid(), delivery_id: z.uuid() });

/**
 * The Worker's `queue` handler, for both queues. The delivery queue: one attempt per message, all of a batch at once;
 * a failed attempt is retried with backoff; after the last one the delivery is dead and its message goes to the
 * dead-letter queue. A message that cannot be handled (the database is down) is retried; after the queue's own
 * `max_retries` it too reaches the dead-letter queue. The dead-letter queue's consumer alerts (log and metric).
 */
export async function onQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
  deps: Partial<DeliveryDeps> = {},
): Promise<void> {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  const config = loaded.config;
  const dead = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
  const full: DeliveryDeps = {
    fetch: (...args) => fetch(...args),
    clock: Date.now,
    random: Math.random,
    timeoutMs: WEBHOOK_DELIVERY.timeoutMs,
    metrics: env.METRICS,
    flags: env.FLAGS,
    ...deps,
  };
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = Message.safeParse(message.body);
      if (!parsed.success) {
        log("error", "webhook_message_malformed", { queue: batch.queue, message_id: message.id });
        message.ack();
        return;
      }
      const body: WebhookMessage = parsed.data;
      if (dead) {
        // An alert, nothing more: a delivery that failed too often is dead already, and one whose message could not
        // be handled at all is still pending in the database, where the sweep finds it again.
        log("error", "webhook_dead_lettered", { ...body, queue_attempts: message.attempts });
        writeMetric(full.metrics, {
          indexes: [body.tenant_id],
          blobs: ["webhook_dead_letter", "", "", "", ""],
          doubles: [0, message.attempts],
        });
        message.ack();
        return;
      }
      try {
        const verdict = await attemptDelivery(config, full, body);
        if (verdict.action === "retry") message.retry({ delaySeconds: verdict.delaySeconds });
        else if (verdict.action === "dead_letter") {
          await env.WEBHOOK_DEAD_LETTERS?.send(body, { contentType: "json" });
          message.ack();
        } else {
          if (verdict.next.length > 0)
            await env.WEBHOOKS?.sendBatch(verdict.next.map((next) => ({ body: next, contentType: "json" as const })));
          message.ack();
        }
      } catch (error) {
        log("error", "webhook_message_failed", {
          ...body,
          queue: batch.queue,
          queue_attempts: message.attempts,
          error: describeError(error),
        });
        reportError(config, ctx, undefined, error, { requestId: `queue-${message.id}`, route: `queue ${batch.queue}` });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, full.random) });
      }
    }),
  );
}
