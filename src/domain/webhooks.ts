import { Webhook } from "standardwebhooks";
import type { FieldPlace } from "../crypto/sealed-fields";
import { openTenantSecret, sealTenantSecret } from "../crypto/tenant-secrets";
import type { Config } from "../kernel/config";
import { WEBHOOK_DELIVERY } from "../kernel/constants";

/** The domain events a subscription may ask for (written to the outbox by migrations/functions/95_outbox.sql). */
export const EVENT_TYPES = [
  "leave_request.submitted",
  "leave_request.approved",
  "leave_request.rejected",
  "leave_request.cancelled",
  "leave_request.expired",
  "leave_request.corrected",
  "balance.adjusted",
  "accrual_run.completed",
  "rollover.completed",
  "rollover.reversed",
  "employee.created",
  "employee.updated",
  "employee.erased",
  "policy.changed",
  "security.refresh_token_reuse",
  "security.login_failures_from_address",
  "security.admin_new_country",
  "security.api_key_new_asn",
  "security.self_serving_refused",
  "security.bulk_adjustments",
] as const;

/** The longest subscription URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const ipv4 = (host: string) => {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p)) ? parts.map(Number) : null;
};

/**
 * IPv4 ranges no webhook may target in staging and production: this network, private, shared (CGNAT),
 * loopback, link-local, IETF protocol assignments, benchmarking, multicast and reserved.
 */
function isInternalIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && (b === 168 || b === 0)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a! >= 224
  );
}

/** The eight 16-bit groups of an IPv6 literal as the URL parser writes it (lowercase, `::` compressed). */
function ipv6Groups(literal: string): number[] | null {
  const [head = "", tail, extra] = literal.split("::");
  if (extra !== undefined) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const [front, back] = [parse(head), tail === undefined ? [] : parse(tail)];
  const groups = tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const embeddedIpv4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];

/**
 * IPv6: unspecified, loopback, IPv4-compatible and IPv4-mapped (by the IPv4 they carry), NAT64 (64:ff9b::/96,
 * 64:ff9b:1::/48) and 6to4 (2002::/16, by the IPv4 they carry), unique local, link-local, site-local and multicast.
 */
function isInternalIpv6(host: string): boolean {
  const g = ipv6Groups(host.replace(/^\[|\]$/g, ""));
  if (!g) return true;
  const [a, b] = g as [number, number];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0 || g[5] === 0xffff)) {
    return g[5] === 0 && g[6] === 0 ? true : isInternalIpv4(embeddedIpv4(g[6]!, g[7]!)); // ::/96 holds :: and ::1
  }
  if (a === 0x64 && b === 0xff9b) return true;
  if (a === 0x2002) return isInternalIpv4(embeddedIpv4(b, g[2]!));
  return (a & 0xfe00) === 0xfc00 || (a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0 || (a & 0xff00) === 0xff00;
}

/**
 * Why `raw` cannot be a subscription's URL, or null. Always: an absolute http(s) URL without credentials. In
 * staging and production (`strict`) also https only, and never `localhost` nor an IP literal of an internal,
 * reserved or multicast range (an IPv6 literal carrying an IPv4 one is judged by that IPv4). A Worker cannot resolve DNS, so a public name that
 * resolves to an internal address is not caught here (docs/integrations.md).
 */
export function webhookUrlProblem(raw: string, strict: boolean): string | null {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "an http(s) URL";
  if (url.username || url.password) return "no credentials in the URL";
  if (!strict) return null;
  if (url.protocol !== "https:") return "https in this environment";
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "not localhost";
  const dotted = ipv4(host);
  if ((dotted && isInternalIpv4(dotted)) || (host.startsWith("[") && isInternalIpv6(host)))
    return "not a private, loopback or link-local address";
  return null;
}

/** A new signing secret in the Standard Webhooks format: `whsec_` and 32 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

/**
 * The Standard Webhooks headers of one delivery: `webhook-id`, `webhook-timestamp` and `webhook-signature`, signed
 * with every secret given (during a rotation the previous one too, space-separated, as the specification allows).
 */
export function signedHeaders(secrets: string[], msgId: string, at: Date, payload: string): Record<string, string> {
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(msgId, at, payload)).join(" "),
  };
}

/** Where a subscription's secret (or, during a rotation, its previous one) is sealed: its row and column. */
const secretPlace = (tenantId: string, subscriptionId: string, column: "secret" | "previous_secret"): FieldPlace => ({
  tenantId,
  table: "webhook_subscriptions",
  column,
  row: subscriptionId,
});

/** A subscription's secret sealed for its place, under the tenant's key for the current KEK. */
export function sealWebhookSecret(
  config: Pick<Config, "DATA_KEK">,
  tenantId: string,
  subscriptionId: string,
  column: "secret" | "previous_secret",
  secret: string,
): Promise<{ sealed: string; kekId: string }> {
  return sealTenantSecret(config, secretPlace(tenantId, subscriptionId, column), secret);
}

export function openWebhookSecret(
  config: Pick<Config, "DATA_KEK" | "DATA_KEK_PREVIOUS">,
  tenantId: string,
  subscriptionId: string,
  column: "secret" | "previous_secret",
  stored: { sealed: string; kekId: string },
): Promise<string> {
  return openTenantSecret(config, secretPlace(tenantId, subscriptionId, column), stored.sealed, stored.kekId);
}

/** An event as the outbox holds it (migrations/functions/95_outbox.sql). */
export interface OutboxEvent {
  id: string;
  type: string;
  subject: string;
  sequence: number;
  occurred_at: string;
  data: Record<string, unknown>;
}

/** The version of the payload's shape; a change a receiver must know about gets a new one. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/** The body of a delivery (documented in the OpenAPI document's webhooks): the event, as the outbox holds it. */
export function webhookPayload(event: OutboxEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    version: WEBHOOK_PAYLOAD_VERSION,
    subject: event.subject,
    sequence: event.sequence,
    timestamp: event.occurred_at,
    data: event.data,
  });
}

/**
 * Seconds before retry `failures` (1 for the first): exponential, from half of base · 2^(failures-1) to all of it
 * at random (so receivers that fail together are not retried together), at most `max`.
 */
export function retryDelaySeconds(
  failures: number,
  random: () => number = Math.random,
  base = WEBHOOK_DELIVERY.retryBaseSeconds,
  max = WEBHOOK_DELIVERY.maxDelaySeconds,
): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}
