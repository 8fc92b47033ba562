import { beforeEach, describe, expect, it } from "vitest";
import { DEMO_PIN } from "../../scripts/lib/seed-data";
import { KIOSK_SCOPES } from "../../src/kernel/access";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type World = Awaited<ReturnType<typeof ledgerWorld>>;
type Tokens = { access_token: string; refresh_token: string };

async function kioskLogin(w: World, person: { employeeNumber: string }): Promise<Tokens> {
  const res = await w.api.postJson(
    "/v1/auth/pin",
    { tenant: "acme", employee_number: person.employeeNumber, pin: DEMO_PIN },
    { "CF-Connecting-IP": "203.0.113.77" },
  );
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Tokens;
}
const permissions = async (w: World, token: string) =>
  ((await (await w.api.send("/v1/me/permissions", { headers: bearer(token) })).json()) as { permissions: string[] }).permissions;

describe("a kiosk (PIN) session", () => {
  it("of an HR Admin reads and changes only their own requests and balances, never anything an admin may", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", reason: "IVF appointment" });
    const kiosk = (await kioskLogin(w, people.hana)).access_token;
    expect(await permissions(w, kiosk)).toEqual([...KIOSK_SCOPES]);

    // Their own: balances, requests, submit and cancel.
    expect((await w.api.send("/v1/me/balances", { headers: bearer(kiosk) })).status).toBe(200);
    const own = await w.submitted(kiosk, { start_date: "2026-12-08", end_date: "2026-12-08" });
    expect((await w.api.send(`/v1/requests/${own.id}`, { headers: bearer(kiosk) })).status).toBe(200);
    expect(await (await w.cancel(kiosk, own.id)).json()).toMatchObject({ status: "cancelled" });

    // Anyone else's, in the database too (Hana's roles would show them): as if they did not exist.
    await expectError(await w.api.send(`/v1/requests/${emmas.id}`, { headers: bearer(kiosk) }), 404, "RESOURCE_NOT_FOUND");
    const listed = (await (await w.api.send("/v1/requests", { headers: bearer(kiosk) })).json()) as { data: { id: string }[] };
    expect(listed.data.map((r) => r.id)).toEqual([own.id]);
    await expectError(
      await w.api.send(`/v1/employees/${people.emma.employeeId}/balances`, { headers: bearer(kiosk) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    // Admin powers: refused by the route.
    await expectError(await w.decide(kiosk, emmas.id, "approve"), 403, "FORBIDDEN");
    await expectError(await w.api.send("/v1/audit", { headers: bearer(kiosk) }), 403, "FORBIDDEN");
    await expectError(await w.api.send("/v1/team/balances", { headers: bearer(kiosk) }), 403, "FORBIDDEN");
    const grant = { policy_key: w.policyKey, kind: "grant", amount: 1, effective_date: "2026-11-02", note: "x" };
    await expectError(await w.post(`/v1/employees/${people.emma.employeeId}/ledger-entries`, kiosk, grant), 403, "FORBIDDEN");
    await expectError(await w.api.postJson(`/v1/users/${people.emma.userId}/deactivate`, {}, bearer(kiosk)), 403, "FORBIDDEN");
    await expectError(
      await w.api.postJson("/v1/me/password", { current_password: "x".repeat(12), new_password: "y".repeat(12) }, bearer(kiosk)),
      403,
      "FORBIDDEN",
    );
  });

  it("stays a kiosk session when refreshed", async () => {
    const w = await ledgerWorld();
    const first = await kioskLogin(w, people.hana);
    const res = await w.api.postJson("/v1/auth/refresh", { refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    const refreshed = (await res.json()) as Tokens;
    expect(await permissions(w, refreshed.access_token)).toEqual([...KIOSK_SCOPES]);
    await expectError(await w.api.send("/v1/audit", { headers: bearer(refreshed.access_token) }), 403, "FORBIDDEN");
    // A password login of the same person is a full session.
    expect(await permissions(w, w.tokens.hana)).toContain("audit:read");
  });
});
