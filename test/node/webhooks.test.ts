/**
 * Webhook URLs and signatures (src/domain/webhooks.ts): which URLs a subscription may name, and signatures the
 * Standard Webhooks reference library verifies, with the previous secret too during a rotation.
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newWebhookSecret, retryDelaySeconds, signedHeaders, webhookUrlProblem } from "../../src/domain/webhooks";

afterEach(() => {
  vi.useRealTimers();
});

describe("subscription URLs", () => {
  it.each([
    "https://hooks.example.com/leave",
    "https://203.0.113.7:8443/in",
    "https://[2001:db8::1]/hook",
    "https://[2002:cb00:7107::1]/hook",
    "https://[::ffff:203.0.113.7]/hook",
  ])("accepts %s everywhere", (url) => {
    expect(webhookUrlProblem(url, true)).toBeNull();
    expect(webhookUrlProblem(url, false)).toBeNull();
  });

  it.each(["http://127.0.0.1:9999/receiver", "http://localhost:8080/hook"])(
    "accepts %s for a local receiver in development and tests only",
    (url) => {
      expect(webhookUrlProblem(url, false)).toBeNull();
      expect(webhookUrlProblem(url, true)).not.toBeNull();
    },
  );

  it.each([
    ["http://hooks.example.com/leave", "https in this environment"],
    ["https://localhost/hook", "not localhost"],
    ["https://api.localhost/hook", "not localhost"],
    ["https://127.1/hook", "not a private, loopback or link-local address"],
    ["https://0x7f000001/hook", "not a private, loopback or link-local address"],
    ["https://10.0.0.8/hook", "not a private, loopback or link-local address"],
    ["https://172.20.1.1/hook", "not a private, loopback or link-local address"],
    ["https://192.168.1.10/hook", "not a private, loopback or link-local address"],
    ["https://169.254.169.254/latest/meta-data", "not a private, loopback or link-local address"],
    ["https://100.64.0.1/hook", "not a private, loopback or link-local address"],
    ["https://0.0.0.0/hook", "not a private, loopback or link-local address"],
    ["https://[::1]/hook", "not a private, loopback or link-local address"],
    ["https://[fd00::1]/hook", "not a private, loopback or link-local address"],
    ["https://[fe80::1]/hook", "not a private, loopback or link-local address"],
    ["https://[::ffff:127.0.0.1]/hook", "not a private, loopback or link-local address"],
    ["https://localhost./hook", "not localhost"],
    ["https://x.localhost./hook", "not localhost"],
    ["https://192.0.0.8/hook", "not a private, loopback or link-local address"],
    ["https://198.18.0.1/hook", "not a private, loopback or link-local address"],
    ["https://[ff02::1]/hook", "not a private, loopback or link-local address"],
    ["https://[fec0::1]/hook", "not a private, loopback or link-local address"],
    ["https://[64:ff9b::a9fe:a9fe]/hook", "not a private, loopback or link-local address"],
    ["https://[2002:a9fe:a9fe::]/hook", "not a private, loopback or link-local address"],
    ["https://[::127.0.0.1]/hook", "not a private, loopback or link-local address"],
    ["https://[::]/hook", "not a private, loopback or link-local address"],
    ["https://user:pass@hooks.example.com/", "no credentials in the URL"],
    ["ftp://hooks.example.com/", "an http(s) URL"],
    ["hooks.example.com/leave", "an absolute URL"],
    [`https://hooks.example.com/${"a".repeat(2048)}`, "at most 2048 characters"],
  ])("refuses %s in staging and production: %s", (url, problem) => {
    expect(webhookUrlProblem(url, true)).toBe(problem);
  });
});

describe("signatures", () => {
  it("verify with the reference library, with either secret during a rotation, and not once the payload changes", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-24T12:00:00Z"));
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const payload = JSON.stringify({ type: "leave_request.approved", timestamp: "2026-11-24T12:00:00Z", data: { request_id: "r" } });
    const headers = signedHeaders([current, previous], "msg_1", new Date(), payload);
    expect(headers["webhook-timestamp"]).toBe(String(Date.parse("2026-11-24T12:00:00Z") / 1000));
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(payload, headers)).toMatchObject({ type: "leave_request.approved" });
    expect(new Webhook(previous).verify(payload, headers)).toMatchObject({ type: "leave_request.approved" });
    expect(() => new Webhook(newWebhookSecret()).verify(payload, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(current).verify(payload.replace("approved", "rejected"), headers)).toThrow(WebhookVerificationError);
    // Ten minutes later the same delivery is refused as a replay.
    vi.setSystemTime(new Date("2026-11-24T12:10:00Z"));
    expect(() => new Webhook(current).verify(payload, headers)).toThrow(/too old/);
  });
});

describe("retryDelaySeconds", () => {
  it("doubles from 30 s, jittered between half and all of it, and never waits more than 6 hours", () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, () => 1))).toEqual([30, 60, 120, 240]);
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, () => 0))).toEqual([15, 30, 60, 120]);
    expect(retryDelaySeconds(20, () => 1)).toBe(6 * 3_600);
    expect(retryDelaySeconds(20, () => 0)).toBe(3 * 3_600);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelaySeconds(3, Math.random);
      expect(delay).toBeGreaterThanOrEqual(60);
      expect(delay).toBeLessThanOrEqual(120);
    }
  });
});
