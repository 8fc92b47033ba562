import { expect } from "vitest";
import type { Env } from "../../../src/kernel/env";
import { authApp, TestClock, TUESDAY_NOON } from "./auth";
import { people } from "./callers";
import { superuserSql } from "./harness";

export { TUESDAY_NOON };

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
let keys = 0;
export const newKey = (label = "k") => `${label}-${Date.now().toString(36)}-${++keys}`;

export const PTO = {
  key: "pto",
  name: "Paid time off",
  unit: "day",
  negative_allowance: 0,
  approvals_required: 1,
  approval_ttl_hours: 72,
  effective_from: "2020-01-01",
};

/**
 * The real app on a test clock, with sessions for the seeded people, a policy assigned to Acme's employees
 * and (optionally) granted days. Everything through the API.
 */
export interface WorldOptions {
  clock?: TestClock;
  policy?: Record<string, unknown>;
  grant?: number;
  assign?: string[];
  startsOn?: string;
  /** Environment overrides for every call (raised rate limits for load tests). */
  bindings?: Partial<Env>;
}

export async function ledgerWorld(options: WorldOptions = {}) {
  const api = authApp(options.clock ?? new TestClock(TUESDAY_NOON));
  // Concurrent logins from one address would meet the per-IP attempt limit: one address each.
  const signIn = async () =>
    Object.fromEntries(
      await Promise.all(
        (["hana", "mike", "emma", "eli", "sam", "ada"] as const).map(async (name, i) => {
          const res = await api.login(people[name].email, undefined, `198.51.100.${i + 1}`);
          expect(res.status, `login of ${name}`).toBe(200);
          return [name, ((await res.json()) as { access_token: string }).access_token] as const;
        }),
      ),
    ) as Record<"hana" | "mike" | "emma" | "eli" | "sam" | "ada", string>;
  const tokens = await signIn();
  const policy = { ...PTO, ...options.policy };
  expect((await api.postJson("/v1/policies", policy, bearer(tokens.hana))).status).toBe(201);
  const assign = options.assign ?? [people.emma.employeeId, people.eli.employeeId, people.mike.employeeId, people.hana.employeeId];
  if (assign.length > 0) {
    const res = await api.postJson(
      `/v1/policies/${policy.key}/assignments`,
      { employee_ids: assign, starts_on: options.startsOn ?? "2020-01-01" },
      bearer(tokens.hana),
    );
    expect(res.status, await res.clone().text()).toBe(200);
  }

  const post = (path: string, token: string, body: unknown, key = newKey()) =>
    api.postJson(path, body, { ...bearer(token), "Idempotency-Key": key }, options.bindings);
  const world = {
    api,
    tokens,
    /** New access tokens (after the test clock moved past their lifetime). */
    async signInAgain() {
      Object.assign(tokens, await signIn());
    },
    policyKey: policy.key as string,
    post,
    async grant(employeeId: string, amount: number, effectiveDate = "2026-01-01") {
      // Nobody grants to their own balance: Hana's days come from Sam.
      const granter = employeeId === people.hana.employeeId ? tokens.sam : tokens.hana;
      const res = await post(`/v1/employees/${employeeId}/ledger-entries`, granter, {
        policy_key: policy.key,
        kind: "grant",
        amount,
        effective_date: effectiveDate,
        note: "test grant",
      });
      expect(res.status, await res.clone().text()).toBe(201);
    },
    submit: (token: string, body: Record<string, unknown>, key?: string) =>
      post("/v1/requests", token, { policy_key: policy.key, ...body }, key),
    async submitted(token: string, body: Record<string, unknown>) {
      const res = await world.submit(token, body);
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { id: string; status: string; amount: number; days: number };
    },
    decide: (token: string, id: string, verb: "approve" | "reject", key?: string) => post(`/v1/requests/${id}/${verb}`, token, {}, key),
    cancel: (token: string, id: string, key?: string) => post(`/v1/requests/${id}/cancel`, token, {}, key),
    /** Runs the accrual admin endpoint over every employee (chunks of `limit`) as HR. */
    async accrue(limit = 500) {
      let after: string | null = null;
      const totals = { accruals: 0, carryover_expiries: 0 };
      do {
        const res = await post("/v1/accruals/runs", tokens.hana, { after, limit });
        expect(res.status, await res.clone().text()).toBe(200);
        const chunk = (await res.json()) as { accruals: number; carryover_expiries: number; next_after: string | null };
        totals.accruals += chunk.accruals;
        totals.carryover_expiries += chunk.carryover_expiries;
        after = chunk.next_after;
      } while (after);
      return totals;
    },
    async entries(token: string, query = "") {
      const res = await api.send(`/v1/ledger-entries?limit=200&sort=id${query}`, { headers: bearer(token) });
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as { data: { id: number; kind: string; amount: number; effective_date: string }[] }).data;
    },
    async balance(token: string, employeeId: string, asOf?: string) {
      const res = await api.send(
        `/v1/employees/${employeeId}/balances${asOf ? `?as_of=${asOf}` : ""}`,
        { headers: bearer(token) },
        options.bindings,
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { balances: { policy_key: string; posted: number; pending: number; available: number }[] };
      return body.balances.find((b) => b.policy_key === policy.key) ?? { policy_key: policy.key, posted: 0, pending: 0, available: 0 };
    },
  };
  if (options.grant) for (const id of assign) await world.grant(id, options.grant);
  return world;
}

/**
 * Leaves an approved request of `employeeId` (its reason and approval comment), their grants' notes and the
 * hold release's note as a release before sealed fields left them: plaintext, no data key, the system's note in
 * `note` (triggers off, as they were not there then).
 */
export async function asBeforeSealing(requestId: string, employeeId: string): Promise<void> {
  await superuserSql().transaction((sql) => [
    sql`set local session_replication_role = replica`,
    sql`update leave_requests set reason = 'plain reason' where id = ${requestId}`,
    sql`update approvals set comment = 'plain comment' where request_id = ${requestId}`,
    sql`update ledger_entries set note = 'plain note', data_key_id = null where employee_id = ${employeeId} and kind = 'grant'`,
    sql`update ledger_entries set note = system_note, system_note = null where employee_id = ${employeeId} and kind = 'hold_release'`,
  ]);
}
