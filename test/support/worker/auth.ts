import { expect } from "vitest";
import { DEMO_PASSWORD } from "../../../scripts/lib/seed-data";
import { createApp } from "../../../src/app";
import type { Env } from "../../../src/kernel/env";
import { callApp } from "./harness";

/** A fixed Tuesday noon (UTC): the instant every test clock starts at unless a test names another. */
export const TUESDAY_NOON = Date.parse("2026-11-24T12:00:00Z");

/**
 * A clock tests move by hand: lockouts and expiry without sleeping. It never reads the wall clock, so a test
 * passes the same way next year.
 */
export class TestClock {
  constructor(public nowMs = TUESDAY_NOON) {}
  readonly now = () => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** The real app on a controllable clock, called through workerd with real DO/KV/Postgres. */
export function authApp(clock = new TestClock()) {
  const app = createApp({ clock: clock.now });
  const send = (path: string, init: RequestInit = {}, bindings: Partial<Env> = {}) => callApp(app, path, init, bindings);
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}, bindings: Partial<Env> = {}) =>
    send(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) }, bindings);
  return {
    clock,
    send,
    postJson,
    login: (email: string, password = DEMO_PASSWORD, ip = "203.0.113.10", tenant = "acme") =>
      postJson("/v1/auth/login", { tenant, email, password }, { "CF-Connecting-IP": ip }),
    async tokens(email: string, tenant = "acme") {
      const res = await postJson("/v1/auth/login", { tenant, email, password: DEMO_PASSWORD }, { "CF-Connecting-IP": "203.0.113.99" });
      expect(res.status, `login of ${email}`).toBe(200);
      return (await res.json()) as { access_token: string; refresh_token: string };
    },
    me: (accessToken: string, headers: Record<string, string> = {}, bindings: Partial<Env> = {}) =>
      send("/v1/me", { headers: { Authorization: `Bearer ${accessToken}`, ...headers } }, bindings),
  };
}
