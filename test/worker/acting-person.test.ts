import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

type World = Awaited<ReturnType<typeof ledgerWorld>>;

async function newKey(w: World, creatorToken: string, body: { role: string; scopes?: string[] }) {
  const res = await w.api.postJson("/v1/api-keys", { name: `key ${body.role}`, ...body }, bearer(creatorToken));
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; key: string };
}
const grantRole = (w: World, userId: string, role: string) =>
  w.api.postJson(`/v1/users/${userId}/roles`, { role }, bearer(w.tokens.sam)).then((r) => expect(r.status).toBe(200));
const removeRole = (w: World, userId: string, role: string) =>
  w.api
    .send(`/v1/users/${userId}/roles/${role}`, { method: "DELETE", headers: bearer(w.tokens.sam) })
    .then((r) => expect(r.status).toBe(200));
const audits = (w: World, key: string) => w.api.send("/v1/audit?limit=1", { headers: bearer(key) });

describe("an API key acts for the person who created it", () => {
  it("decides nothing its creator may not: not their own request, and two keys of one person are one approver", async () => {
    const w = await ledgerWorld({
      grant: 5,
      policy: { approvals_required: 2 },
      assign: [people.emma.employeeId, people.sam.employeeId, people.hana.employeeId],
    });
    const [first, second] = [await newKey(w, w.tokens.sam, { role: "hr_admin" }), await newKey(w, w.tokens.sam, { role: "hr_admin" })];

    const sams = await w.submitted(w.tokens.sam, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await expectError(await w.decide(first.key, sams.id, "approve"), 403, "FORBIDDEN");

    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08" });
    expect(await (await w.decide(first.key, emmas.id, "approve")).json()).toMatchObject({ status: "pending" });
    await expectError(await w.decide(second.key, emmas.id, "approve"), 409, "CONFLICT");
    expect(await (await w.decide(w.tokens.hana, emmas.id, "approve")).json()).toMatchObject({
      status: "approved",
      approvals: [{ approver_id: people.sam.userId }, { approver_id: people.hana.userId }],
    });
    const [row] =
      await superuserSql()`select actor_type, actor_id, details from audit_log where action = 'request.approve' order by id limit 1`;
    expect(row).toMatchObject({ actor_type: "api_key", actor_id: people.sam.userId, details: { api_key_id: first.id } });
  });

  it("stops working at once when its creator no longer holds the roles it needs", async () => {
    const w = await ledgerWorld();
    await grantRole(w, people.hana.userId, "system_admin");
    await w.signInAgain();
    const key = await newKey(w, w.tokens.hana, { role: "auditor", scopes: ["audit:read"] });
    expect((await audits(w, key.key)).status).toBe(200); // cached by this isolate from now on

    await removeRole(w, people.hana.userId, "system_admin");
    expect((await audits(w, key.key)).status).toBe(200); // HR Admin still grants audit:read
    await removeRole(w, people.hana.userId, "hr_admin");
    await expectError(await audits(w, key.key), 401, "UNAUTHORIZED");
  });

  it("stops working at once when its creator is deactivated", async () => {
    const w = await ledgerWorld();
    await grantRole(w, people.hana.userId, "system_admin");
    await w.signInAgain();
    const key = await newKey(w, w.tokens.hana, { role: "hr_admin" });
    expect((await audits(w, key.key)).status).toBe(200);
    expect((await w.api.postJson(`/v1/users/${people.hana.userId}/deactivate`, {}, bearer(w.tokens.sam))).status).toBe(204);
    await expectError(await audits(w, key.key), 401, "UNAUTHORIZED");
  });

  it("its scopes bind the database too: an HR Admin key scoped to self:read reads nothing of anyone else", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", reason: "IVF appointment" });
    const key = await newKey(w, w.tokens.sam, { role: "hr_admin", scopes: ["self:read"] });
    await expectError(await w.api.send(`/v1/requests/${emmas.id}`, { headers: bearer(key.key) }), 404, "RESOURCE_NOT_FOUND");
    const listed = (await (await w.api.send("/v1/requests", { headers: bearer(key.key) })).json()) as { data: unknown[] };
    expect(listed.data).toEqual([]);
    // The same key without the scope sees it: the scope, not the role, kept it out.
    const unscoped = await newKey(w, w.tokens.sam, { role: "hr_admin" });
    expect((await w.api.send(`/v1/requests/${emmas.id}`, { headers: bearer(unscoped.key) })).status).toBe(200);
  });
});

describe("nobody posts grants or adjustments to their own balance", () => {
  it("neither in person nor through a key; another admin may", async () => {
    const w = await ledgerWorld({ assign: [people.hana.employeeId, people.sam.employeeId, people.emma.employeeId] });
    const entry = (kind: string) => ({ policy_key: w.policyKey, kind, amount: 2, effective_date: "2026-11-02", note: "bonus days" });
    const post = (token: string, employeeId: string, kind = "grant") =>
      w.post(`/v1/employees/${employeeId}/ledger-entries`, token, entry(kind));

    await expectError(await post(w.tokens.hana, people.hana.employeeId), 403, "FORBIDDEN");
    await expectError(await post(w.tokens.hana, people.hana.employeeId, "adjustment"), 403, "FORBIDDEN");
    const samsKey = await newKey(w, w.tokens.sam, { role: "hr_admin" });
    await expectError(await post(samsKey.key, people.sam.employeeId), 403, "FORBIDDEN");
    expect((await post(w.tokens.sam, people.hana.employeeId)).status).toBe(201);
    expect((await post(samsKey.key, people.emma.employeeId)).status).toBe(201);
    const [count] =
      await superuserSql()`select count(*)::int as n from ledger_entries where effective_date = '2026-11-02' and reference like 'manual:%'`;
    expect(count!.n).toBe(2);
  });
});
