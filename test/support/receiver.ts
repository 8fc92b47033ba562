/** The harbor's webhook receivers (test/support/node/harbor.ts), as both sides of the tests see them. */

/** How a receiver answers: 204, 500, never, or a redirect (which a sender must not follow). */
export type ReceiverMode = "ok" | "fail" | "hang" | "redirect";

/** One POST a receiver got. */
export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
}
