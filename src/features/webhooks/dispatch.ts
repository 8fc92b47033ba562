import type { MiddlewareHandler } from "hono";
import { dispatchDue, knownUnsubscribed } from "../../domain/webhook-delivery";
import { READ_METHODS } from "../../kernel/constants";
import type { AppEnv } from "../../kernel/context";
import { describeError, log } from "../../kernel/logger";

/**
 * After a signed-in write succeeds, hands its tenant's due webhook deliveries to the queue in `waitUntil`, after the
 * response: deliveries leave within moments of their commit, at no cost to the request. Tenants known to have no
 * enabled subscription are skipped for a minute; whatever this misses, the minutely sweep sends.
 */
export function dispatchAfterWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const principal = c.get("principal");
    const queue = c.env.WEBHOOKS;
    if (READ_METHODS.has(c.req.method) || c.res.status >= 400 || !principal || !queue) return;
    // The wall clock, not the request's: deliveries fall due on the database's clock.
    const now = Date.now();
    if (knownUnsubscribed(principal.tenantId, now)) return;
    c.executionCtx.waitUntil(
      dispatchDue(c.get("config"), queue, c.env.FLAGS, principal.tenantId, now).catch((error) =>
        log("warn", "webhook_dispatch_failed", { request_id: c.get("requestId"), error: describeError(error) }),
      ),
    );
  };
}
