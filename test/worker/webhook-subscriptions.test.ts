/**
 * Webhook subscriptions: System Admins subscribe URLs to the tenant's events; the signing secret is shown once,
 * stored only sealed under the tenant's key, rotated with an overlap; bad URLs and bad input change nothing.
 */
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { openTenantSecret } from "../../src/crypto/tenant-secrets";
import { signedHeaders } from "../../src/domain/webhooks";
import { loadConfig } from "../../src/kernel/config";
import { runDailyWork } from "../../src/scheduler/daily";
import { TEST_DATA_KEK } from "../support/test-constants";
import { authApp, TUESDAY_NOON } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const PATH = "/v1/webhooks/subscriptions";
interface Subscription {
  id: string;
  url: string;
  event_types: string[];
  enabled: boolean;
  secret?: string;
  previous_secret_expires_at: string | null;
}
const loaded = loadConfig(testEnv);
if (!loaded.ok) throw new Error("test configuration invalid");
const config = loaded.config;

async function stored(id: string) {
  const [row] = (await superuserSql()`select tenant_id, secret, secret_kek_id, previous_secret, previous_secret_kek_id
    from webhook_subscriptions where id = ${id}`) as [
    { tenant_id: string; secret: string; secret_kek_id: string; previous_secret: string | null; previous_secret_kek_id: string | null },
  ];
  return row;
}

describe("webhook subscriptions", () => {
  it("show the secret once, keep it sealed under the tenant's key, and rotate it with an overlap", async () => {
    const api = authApp();
    const sam = (await api.tokens(people.sam.email)).access_token;
    const res = await api.postJson(
      PATH,
      { url: "https://payroll.example.com/hooks?token=abc", event_types: ["leave_request.approved"] },
      bearer(sam),
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as Subscription;
    expect(created).toMatchObject({ event_types: ["leave_request.approved"], enabled: true, previous_secret_expires_at: null });
    expect(created.secret).toMatch(/^whsec_/);

    const row = await stored(created.id);
    expect(row.secret).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(created.secret!.slice(6));
    const place = { tenantId: row.tenant_id, table: "webhook_subscriptions", column: "secret", row: created.id };
    expect(await openTenantSecret(config, place, row.secret, row.secret_kek_id)).toBe(created.secret);
    // The sealed secret is bound to its row: copied to another subscription it does not open.
    await expect(openTenantSecret(config, { ...place, row: crypto.randomUUID() }, row.secret, row.secret_kek_id)).rejects.toMatchObject({
      code: "DATA_INTEGRITY",
    });

    // Never shown again; the audit names the host, not the URL's token.
    const listed = (await (await api.send(PATH, { headers: bearer(sam) })).json()) as { data: Subscription[]; total: number };
    expect(listed.total).toBe(1);
    expect(listed.data[0]).not.toHaveProperty("secret");
    const [audit] = (await superuserSql()`select details from audit_log where action = 'webhook.create'`) as [
      { details: Record<string, unknown> },
    ];
    expect(audit.details).toEqual({ host: "payroll.example.com", event_types: ["leave_request.approved"] });

    const rotated = await api.postJson(`${PATH}/${created.id}/rotation`, { overlap_hours: 24 }, bearer(sam));
    expect(rotated.status, await rotated.clone().text()).toBe(200);
    const after = (await rotated.json()) as Subscription;
    expect(after.secret).not.toBe(created.secret);
    expect(Date.parse(after.previous_secret_expires_at!)).toBe(api.clock.now() + 24 * 3_600_000);
    const rowAfter = await stored(created.id);
    const previous = await openTenantSecret(
      config,
      { ...place, column: "previous_secret" },
      rowAfter.previous_secret!,
      rowAfter.previous_secret_kek_id!,
    );
    expect(previous).toBe(created.secret);
    // A delivery signed with both verifies under either secret (the receiver switches during the overlap).
    const payload = JSON.stringify({ type: "leave_request.approved" });
    const headers = signedHeaders([after.secret!, previous], "msg_x", new Date(), payload);
    expect(new Webhook(created.secret!).verify(payload, headers)).toMatchObject({ type: "leave_request.approved" });
    expect(new Webhook(after.secret!).verify(payload, headers)).toMatchObject({ type: "leave_request.approved" });

    // Without an overlap the previous secret is gone at once.
    await api.postJson(`${PATH}/${created.id}/rotation`, { overlap_hours: 0 }, bearer(sam));
    expect((await stored(created.id)).previous_secret).toBeNull();
  });

  it("are changed and deleted by System Admins only; bad input is a 400 and changes nothing", async () => {
    const api = authApp();
    const sam = (await api.tokens(people.sam.email)).access_token;
    const hana = (await api.tokens(people.hana.email)).access_token;
    await expectError(await api.postJson(PATH, { url: "https://hooks.example.com/x" }, bearer(hana)), 403, "FORBIDDEN");
    for (const body of [
      { url: "not a url" },
      { url: "ftp://hooks.example.com/" },
      { url: "https://user:secret@hooks.example.com/" },
      { url: "https://hooks.example.com/", event_types: ["leave_request.teleported"] },
      { url: "https://hooks.example.com/", event_types: ["balance.adjusted", "balance.adjusted"] },
      { url: "https://hooks.example.com/", secret: "whsec_mine" },
      { url: "https://hooks.example.com/\u0000" },
    ]) {
      const refused = await api.postJson(PATH, body, bearer(sam));
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code], JSON.stringify(body)).toEqual([
        400,
        "VALIDATION_FAILED",
      ]);
    }
    // (In staging and production the URL must also be public https: test/node/webhooks.test.ts.)
    expect(await superuserSql()`select id from webhook_subscriptions`).toEqual([]);

    const created = (await (await api.postJson(PATH, { url: "http://127.0.0.1:9/hook" }, bearer(sam))).json()) as Subscription;
    const patch = (body: unknown, token = sam) =>
      api.send(`${PATH}/${created.id}`, {
        method: "PATCH",
        headers: { ...bearer(token), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    await expectError(await patch({}), 400, "VALIDATION_FAILED");
    await expectError(await patch({ enabled: false }, hana), 403, "FORBIDDEN");
    expect(await (await patch({ enabled: false, event_types: ["balance.adjusted"] })).json()).toMatchObject({
      enabled: false,
      event_types: ["balance.adjusted"],
    });
    await expectError(await api.send(`${PATH}/${crypto.randomUUID()}`, { headers: bearer(sam) }), 404, "RESOURCE_NOT_FOUND");
    expect((await api.send(`${PATH}/${created.id}`, { method: "DELETE", headers: bearer(sam) })).status).toBe(204);
    await expectError(await api.send(`${PATH}/${created.id}`, { method: "DELETE", headers: bearer(sam) }), 404, "RESOURCE_NOT_FOUND");
    const actions = (await superuserSql()`select action from audit_log where action like 'webhook.%' order by id`) as { action: string }[];
    expect(actions.map((a) => a.action)).toEqual(["webhook.create", "webhook.update", "webhook.delete"]);
  });

  it("after a KEK rotation the daily job re-seals each secret (and a previous one) under the new KEK; the receiver's secrets stay", async () => {
    const api = authApp();
    const sam = (await api.tokens(people.sam.email)).access_token;
    const created = (await (
      await api.postJson(PATH, { url: "https://payroll.example.com/hooks", enabled: false }, bearer(sam))
    ).json()) as Subscription;
    const rotated = (await (
      await api.postJson(`${PATH}/${created.id}/rotation`, { overlap_hours: 24 }, bearer(sam))
    ).json()) as Subscription;
    const NEW_KEK = { ...TEST_DATA_KEK, k: "Z3f8wq0Vb1lH9pFj2XrT4mKc6NsYd7AeLuQi5oPzBxE", kid: "test-kek-2027-01" };
    const configWith = (bindings: Record<string, string>) => {
      const result = loadConfig({ ...testEnv, ...bindings } as typeof testEnv);
      if (!result.ok) throw new Error("test configuration invalid");
      return result.config;
    };
    const during = configWith({ DATA_KEK: JSON.stringify(NEW_KEK), DATA_KEK_PREVIOUS: JSON.stringify(TEST_DATA_KEK) });
    const acme = async () => (await runDailyWork(during, TUESDAY_NOON)).find((r) => r.tenant_id === ACME.id)!;
    expect((await acme()).resealed_webhook_secrets).toBe(1);
    expect((await acme()).resealed_webhook_secrets).toBe(0);

    const row = await stored(created.id);
    expect([row.secret_kek_id, row.previous_secret_kek_id]).toEqual([NEW_KEK.kid, NEW_KEK.kid]);
    // Without the old KEK at all, both secrets still open, unchanged for the receiver.
    const after = configWith({ DATA_KEK: JSON.stringify(NEW_KEK) });
    const place = (column: string) => ({ tenantId: ACME.id, table: "webhook_subscriptions", column, row: created.id });
    expect(await openTenantSecret(after, place("secret"), row.secret, row.secret_kek_id)).toBe(rotated.secret);
    expect(await openTenantSecret(after, place("previous_secret"), row.previous_secret!, row.previous_secret_kek_id!)).toBe(created.secret);
    expect(await superuserSql()`select details from audit_log where action = 'webhook.reseal'`).toEqual([
      { details: { subscriptions: 1, kek_id: NEW_KEK.kid } },
    ]);
  });
});
