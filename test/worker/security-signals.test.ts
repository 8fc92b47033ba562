/**
 * Security signals: a refresh token used twice, an address blocked after failed logins across accounts, an admin's
 * first sign-in from another country, an API key's first use from another network, a refused attempt to serve
 * oneself, and bulk adjustments above the configured threshold. Each is an audit row `security.<kind>`, a webhook
 * event of that type carrying only ids and counts, and a metric.
 */

import { neon, neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { EVENT_DATA } from "../../src/features/webhooks/schemas";
import type { Env } from "../../src/kernel/env";
import { authApp } from "../support/worker/auth";
import { as, dbConfig, people } from "../support/worker/callers";
import { expectError, recordingMetrics, rejectionOf, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

interface Signal {
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_id: string | null;
  tenant_id: string | null;
  details: Record<string, unknown>;
}
const signals = async () =>
  (await superuserSql()`select action, actor_type, actor_id, target_id, tenant_id, details from audit_log
    where action like 'security.%' order by id`) as Signal[];
const events = async () =>
  (await superuserSql()`select type, data from outbox_events where type like 'security.%' order by occurred_at`) as {
    type: string;
    data: Record<string, unknown>;
  }[];

// Each signal's event carries exactly what its type documents.
afterEach(async () => {
  for (const event of await events()) {
    expect(EVENT_DATA[event.type as keyof typeof EVENT_DATA].safeParse(event.data).error, event.type).toBeUndefined();
  }
});

/** A recording Analytics Engine binding, and the kinds of the security data points the Worker wrote to it. */
function signalMetrics() {
  const { points, METRICS } = recordingMetrics();
  return { METRICS, kinds: () => points.filter((p) => p.blobs?.[0] === "security").map((p) => p.blobs?.[1]) };
}

const from = (where: { country?: string; asn?: number }) => ({ cf: where }) as RequestInit;

describe("sign-in signals", () => {
  it("a refresh token used twice: security.refresh_token_reuse for its user", async () => {
    const api = authApp();
    const metrics = signalMetrics();
    const { refresh_token } = await api.tokens(people.emma.email);
    expect((await api.postJson("/v1/auth/refresh", { refresh_token }, {}, metrics)).status).toBe(200);
    await expectError(await api.postJson("/v1/auth/refresh", { refresh_token }, {}, metrics), 401, "UNAUTHORIZED");
    expect(await signals()).toEqual([
      {
        action: "security.refresh_token_reuse",
        actor_type: "anonymous",
        actor_id: null,
        target_id: people.emma.userId,
        tenant_id: ACME.id,
        details: { user_id: people.emma.userId },
      },
    ]);
    expect(await events()).toEqual([{ type: "security.refresh_token_reuse", data: { user_id: people.emma.userId } }]);
    expect(metrics.kinds()).toEqual(["refresh_token_reuse"]);
  });

  it("failed logins across accounts block an address once: security.login_failures_from_address", async () => {
    const api = authApp();
    const metrics = signalMetrics();
    const tries = [people.emma, people.eli, people.mike, people.hana, people.ada];
    for (const person of tries) {
      const res = await api.postJson(
        "/v1/auth/login",
        { tenant: "acme", email: person.email, password: "not-the-password" },
        { "CF-Connecting-IP": "203.0.113.77" },
        metrics,
      );
      await expectError(res, 401, "UNAUTHORIZED");
    }
    const [signal, ...more] = await signals();
    expect(more).toEqual([]);
    expect(signal).toMatchObject({
      action: "security.login_failures_from_address",
      actor_type: "anonymous",
      tenant_id: ACME.id,
      details: { failures: 5, window_seconds: 900 },
    });
    // The address is in the audit row's personal fields, never in the event.
    expect(JSON.stringify(await events())).not.toContain("203.0.113.77");
    expect(metrics.kinds()).toEqual(["login_failures_from_address"]);
  });

  it("an admin's first sign-in from another country: security.admin_new_country; not the first country, not an employee", async () => {
    const api = authApp();
    const metrics = signalMetrics();
    const login = (email: string, country: string) =>
      api.send(
        "/v1/auth/login",
        {
          ...from({ country }),
          method: "POST",
          headers: { "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.5" },
          body: JSON.stringify({ tenant: "acme", email, password: "leave-ledger-demo" }),
        },
        metrics,
      );
    for (const [email, country] of [
      [people.sam.email, "DE"],
      [people.sam.email, "DE"],
      [people.emma.email, "DE"],
      [people.emma.email, "BR"],
      [people.sam.email, "FR"],
      [people.sam.email, "FR"],
    ] as const) {
      expect((await login(email, country)).status).toBe(200);
    }
    expect((await signals()).map((s) => [s.action, s.actor_id, s.details])).toEqual([
      ["security.admin_new_country", people.sam.userId, { user_id: people.sam.userId, country: "FR" }],
    ]);
    expect(metrics.kinds()).toEqual(["admin_new_country"]);
    expect(await superuserSql()`select count(*)::int as n from sign_in_places`).toEqual([{ n: 4 }]);
  });

  it("an admin's refresh from another country than their sign-in: security.admin_new_country", async () => {
    const api = authApp();
    const metrics = signalMetrics();
    const signIn = await api.send("/v1/auth/login", {
      ...from({ country: "DE" }),
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.5" },
      body: JSON.stringify({ tenant: "acme", email: people.sam.email, password: "leave-ledger-demo" }),
    });
    let { refresh_token } = (await signIn.json()) as { refresh_token: string };
    for (const country of ["DE", "BR"]) {
      const res = await api.send(
        "/v1/auth/refresh",
        { ...from({ country }), method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token }) },
        metrics,
      );
      expect(res.status).toBe(200);
      ({ refresh_token } = (await res.json()) as { refresh_token: string });
    }
    expect((await signals()).map((s) => [s.action, s.actor_id, s.details])).toEqual([
      ["security.admin_new_country", people.sam.userId, { user_id: people.sam.userId, country: "BR" }],
    ]);
    expect(metrics.kinds()).toEqual(["admin_new_country"]);
  });

  it("an API key's first use from another network: security.api_key_new_asn", async () => {
    const api = authApp();
    const metrics = signalMetrics();
    const sam = (await api.tokens(people.sam.email)).access_token;
    const created = (await (await api.postJson("/v1/api-keys", { name: "payroll", role: "auditor" }, bearer(sam))).json()) as {
      id: string;
      key: string;
    };
    const use = (asn: number) => api.send("/v1/me/permissions", { ...from({ asn }), headers: bearer(created.key) }, metrics);
    for (const asn of [64500, 64500, 64501]) expect((await use(asn)).status).toBe(200);
    expect((await signals()).map((s) => [s.action, s.actor_type, s.actor_id, s.details])).toEqual([
      ["security.api_key_new_asn", "api_key", created.id, { api_key_id: created.id, asn: "64501" }],
    ]);
    expect(metrics.kinds()).toEqual(["api_key_new_asn"]);
  });
});

describe("signals of the ledger", () => {
  it("a refused attempt to serve oneself: deciding one's own request, adjusting one's own balance", async () => {
    const metrics = signalMetrics();
    const w = await ledgerWorld({ grant: 10, bindings: metrics });
    const own = await w.submitted(w.tokens.mike, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const refused = await w.decide(w.tokens.mike, own.id, "approve");
    expect((await expectError(refused, 403, "FORBIDDEN")).details).toEqual({ reason: "own request" });
    const adjustment = await w.post(`/v1/employees/${people.hana.employeeId}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "adjustment",
      amount: 5,
      effective_date: "2026-06-01",
    });
    expect((await expectError(adjustment, 403, "FORBIDDEN")).details).toEqual({ reason: "own balance" });
    expect((await signals()).map((s) => [s.action, s.actor_id, s.details])).toEqual([
      [
        "security.self_serving_refused",
        people.mike.userId,
        { user_id: people.mike.userId, refused: "own request", route: "/v1/requests/:id/approve" },
      ],
      [
        "security.self_serving_refused",
        people.hana.userId,
        { user_id: people.hana.userId, refused: "own balance", route: "/v1/employees/:id/ledger-entries" },
      ],
    ]);
    expect(metrics.kinds()).toEqual(["self_serving_refused", "self_serving_refused"]);
    // The refused changes wrote nothing.
    expect(await superuserSql()`select status from leave_requests where id = ${own.id}`).toEqual([{ status: "pending" }]);
  });

  it("bulk adjustments: the grant that reaches the threshold within the window raises it, once", async () => {
    const metrics = signalMetrics();
    const bindings: Partial<Env> = { ...metrics, SECURITY_BULK_ADJUSTMENTS: "3", SECURITY_BULK_WINDOW_MINUTES: "10" };
    const w = await ledgerWorld({ bindings });
    for (const person of [people.emma, people.eli, people.mike, people.emma]) {
      const res = await w.post(`/v1/employees/${person.employeeId}/ledger-entries`, w.tokens.hana, {
        policy_key: w.policyKey,
        kind: "grant",
        amount: 1,
        effective_date: "2026-06-01",
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    expect((await signals()).map((s) => [s.action, s.actor_id, s.details])).toEqual([
      ["security.bulk_adjustments", people.hana.userId, { user_id: people.hana.userId, entries: 3, window_minutes: 10 }],
    ]);
    expect(metrics.kinds()).toEqual(["bulk_adjustments"]);
  });

  it("bulk adjustments posted in parallel cannot step over the threshold unseen", async () => {
    const bindings: Partial<Env> = { SECURITY_BULK_ADJUSTMENTS: "3", SECURITY_BULK_WINDOW_MINUTES: "10" };
    const w = await ledgerWorld({ bindings });
    const posted = await Promise.all(
      [people.emma, people.eli, people.mike, people.ada].map((person) =>
        w.post(`/v1/employees/${person.employeeId}/ledger-entries`, w.tokens.hana, {
          policy_key: w.policyKey,
          kind: "grant",
          amount: 1,
          effective_date: "2026-06-01",
        }),
      ),
    );
    expect(posted.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect((await signals()).map((s) => s.action)).toEqual(["security.bulk_adjustments"]);
  });
});

describe("the signals' tables and functions", () => {
  const config = dbConfig();

  it("nobody reads where people sign in from through the app role; only sign-in and sessions raise or note signals", async () => {
    await superuserSql()`insert into sign_in_places (tenant_id, principal_type, principal_id, kind, value, first_seen_at, last_seen_at)
      values (${ACME.id}, 'user', ${people.sam.userId}, 'country', 'DE', now(), now())`;
    expect((await rejectionOf(runInDatabase(config, as.sam, (db) => [db.execute(sql`select * from sign_in_places`)]))).code).toBe(
      "FORBIDDEN",
    );
    const raise = sql`select app.raise_security_signal('{"kind":"refresh_token_reuse","data":{}}'::jsonb)`;
    const note = sql`select app.note_sign_in_place(${JSON.stringify({ principal_type: "user", principal_id: people.sam.userId, value: "FR", now: new Date().toISOString() })}::jsonb)`;
    for (const statement of [raise, note]) {
      for (const caller of [as.sam, systemCaller("scheduler", ACME.id), systemCaller("webhooks", ACME.id)]) {
        expect((await rejectionOf(runInDatabase(config, caller, (db) => [db.execute(statement)]))).code).toBe("FORBIDDEN");
      }
    }
    // A kind the Worker does not raise is refused even to sign-in.
    const forged = sql`select app.raise_security_signal('{"kind":"bulk_adjustments","data":{}}'::jsonb)`;
    expect((await rejectionOf(runInDatabase(config, systemCaller("auth", ACME.id), (db) => [db.execute(forged)]))).code).toBe(
      "VALIDATION_FAILED",
    );
    // Nor without claims at all (the system role, switched to by hand).
    neonConfig.fetchEndpoint = inject("neonEndpoint");
    const direct = neon(inject("databaseUrl"));
    await expect(
      direct.transaction([
        direct`set local role leave_ledger_system`,
        direct`select app.raise_security_signal('{"kind":"refresh_token_reuse"}'::jsonb)`,
      ]),
    ).rejects.toThrow();
    expect(await signals()).toEqual([]);
  });

  it("erasure deletes where the person signed in from", async () => {
    const w = await ledgerWorld({ assign: [] });
    await superuserSql()`insert into sign_in_places (tenant_id, principal_type, principal_id, kind, value, first_seen_at, last_seen_at)
      values (${ACME.id}, 'user', ${people.eli.userId}, 'country', 'DE', now(), now()), (${ACME.id}, 'user', ${people.sam.userId}, 'country', 'DE', now(), now())`;
    const erased = await w.api.postJson(`/v1/employees/${people.eli.employeeId}/erasure`, {}, bearer(w.tokens.sam));
    expect(erased.status, await erased.clone().text()).toBe(200);
    expect(await superuserSql()`select principal_id from sign_in_places`).toEqual([{ principal_id: people.sam.userId }]);
  });
});
