import { beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/secrets";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, recordingDurableObject, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function adminWithKey(body: Record<string, unknown> = { name: "payroll export", role: "auditor", scopes: ["audit:read"] }) {
  const api = authApp();
  const sam = await api.tokens(people.sam.email);
  const res = await api.postJson("/v1/api-keys", body, bearer(sam.access_token));
  expect(res.status).toBe(201);
  const created = (await res.json()) as { id: string; key: string; prefix: string; scopes: string[]; role: string };
  return { api, sam, created };
}

describe("service API keys", () => {
  it("are shown once, stored only as a hash with a public prefix, and authenticate as Bearer", async () => {
    const { api, created } = await adminWithKey();
    expect(created.key).toMatch(new RegExp(`^llk_${created.prefix}_[A-Za-z0-9_-]{43}$`));
    const [row] = (await superuserSql()`select key_hash, prefix from api_keys where id = ${created.id}`) as [
      { key_hash: string; prefix: string },
    ];
    expect(row.key_hash).toBe(await sha256Hex(created.key));
    const secret = created.key.slice(`llk_${created.prefix}_`.length);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(row)).not.toContain(secret);

    const res = await api.send("/v1/audit", { headers: bearer(created.key) });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBe("100");
    await expectError(await api.me(created.key), 403, "FORBIDDEN");
    const [used] = (await superuserSql()`select last_used_at from api_keys where id = ${created.id}`) as [{ last_used_at: string | null }];
    expect(used.last_used_at).not.toBeNull();
  });

  it("scopes narrow what the key's role allows", async () => {
    const { api, created } = await adminWithKey({ name: "audit only", role: "hr_admin", scopes: ["audit:read"] });
    expect((await api.send("/v1/audit", { headers: bearer(created.key) })).status).toBe(200);
    const permissions = (await (await api.send("/v1/me/permissions", { headers: bearer(created.key) })).json()) as {
      permissions: string[];
    };
    expect(permissions.permissions).toEqual(["audit:read"]);
    await expectError(
      await api.postJson(`/v1/users/${people.eli.userId}/roles`, { role: "manager" }, bearer(created.key)),
      403,
      "FORBIDDEN",
    );
  });

  it("rotation and revocation take effect at once, although the key was cached", async () => {
    const { api, sam, created } = await adminWithKey();
    expect((await api.send("/v1/audit", { headers: bearer(created.key) })).status).toBe(200);
    const rotated = (await (
      await api.send(`/v1/api-keys/${created.id}/rotate`, { method: "POST", headers: bearer(sam.access_token) })
    ).json()) as { key: string; prefix: string };
    expect(rotated.prefix).toBe(created.prefix);
    expect(rotated.key).not.toBe(created.key);
    await expectError(await api.send("/v1/audit", { headers: bearer(created.key) }), 401, "UNAUTHORIZED");
    expect((await api.send("/v1/audit", { headers: bearer(rotated.key) })).status).toBe(200);

    expect((await api.send(`/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(sam.access_token) })).status).toBe(204);
    await expectError(await api.send("/v1/audit", { headers: bearer(rotated.key) }), 401, "UNAUTHORIZED");
    // Revoking again changes nothing and answers the same (a retry after a 503 finishes the job).
    expect((await api.send(`/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(sam.access_token) })).status).toBe(204);
    const audit = await superuserSql()`select action from audit_log where action like 'apikey.%' order by id`;
    expect(audit.map((a) => a.action)).toEqual(["apikey.create", "apikey.rotate", "apikey.revoke"]);
  });

  it("are listed without secrets, with offset pagination", async () => {
    const { api, sam } = await adminWithKey();
    await api.postJson("/v1/api-keys", { name: "second", role: "employee" }, bearer(sam.access_token));
    const page = (await (await api.send("/v1/api-keys?limit=1", { headers: bearer(sam.access_token) })).json()) as any;
    expect(page).toMatchObject({ total: 2, offset: 0, limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(JSON.stringify(page)).not.toMatch(/llk_|key_hash/);
  });

  it("are managed by System Admins only, never with the System Admin role", async () => {
    const api = authApp();
    const hana = await api.tokens(people.hana.email);
    await expectError(await api.postJson("/v1/api-keys", { name: "x", role: "auditor" }, bearer(hana.access_token)), 403, "FORBIDDEN");
    const sam = await api.tokens(people.sam.email);
    await expectError(
      await api.postJson("/v1/api-keys", { name: "x", role: "system_admin" }, bearer(sam.access_token)),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("are rate-limited per key", async () => {
    const { api, created } = await adminWithKey();
    const limits = { RATE_LIMIT_USER_PER_MINUTE: "2" };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.send("/v1/audit", { headers: bearer(created.key) }, limits)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("refuse malformed, unknown and guessed keys", async () => {
    const { api, created } = await adminWithKey();
    for (const key of [
      "llk_",
      "llk_short",
      `llk_${created.prefix}_${"A".repeat(43)}`,
      `llk_000000000000_${"A".repeat(43)}`,
      `${created.key}x`,
    ]) {
      await expectError(await api.send("/v1/audit", { headers: bearer(key) }), 401, "UNAUTHORIZED");
    }
  });
});

describe("an API key's limits", () => {
  const wrongSecret = (key: string) => `${key.slice(0, -4)}${key.endsWith("AAAA") ? "BBBB" : "AAAA"}`;

  it("are charged only once the secret is verified: a known prefix cannot use up someone else's key", async () => {
    const { api, created } = await adminWithKey();
    const limits = { RATE_LIMIT_USER_PER_MINUTE: "3" };
    for (let i = 1; i <= 6; i++) {
      const res = await api.send(
        "/v1/audit",
        { headers: { ...bearer(wrongSecret(created.key)), "CF-Connecting-IP": `192.0.2.${i}` } },
        limits,
      );
      await expectError(res, 401, "UNAUTHORIZED");
    }
    const res = await api.send("/v1/audit", { headers: bearer(created.key) }, limits);
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Remaining")).toBe("2");
  });

  it("cost one Durable Object call per request once the key's object holds its hash", async () => {
    const { api, created } = await adminWithKey();
    const recorder = recordingDurableObject();
    for (let i = 0; i < 3; i++)
      expect((await api.send("/v1/audit", { headers: bearer(created.key) }, { RATE_LIMITER: recorder })).status).toBe(200);
    // The first request installs the hash Postgres vouched for; every later one is a single verify-and-count.
    expect(recorder.calls).toEqual(["hitKey", "hitKey", "hitKey", "hitKey"]);
  });

  it("failed key attempts count against the caller's address, in the budget of failed logins", async () => {
    const { api, created } = await adminWithKey();
    const from = (ip: string, key: string) => api.send("/v1/audit", { headers: { ...bearer(key), "CF-Connecting-IP": ip } });
    for (let i = 0; i < 5; i++) await expectError(await from("198.51.100.9", wrongSecret(created.key)), 401, "UNAUTHORIZED");
    await expectError(await from("198.51.100.9", wrongSecret(created.key)), 429, "RATE_LIMIT_EXCEEDED");
    await expectError(await from("198.51.100.9", created.key), 429, "RATE_LIMIT_EXCEEDED");
    await expectError(await api.login(people.emma.email, undefined, "198.51.100.9"), 429, "RATE_LIMIT_EXCEEDED");
    expect((await from("198.51.100.10", created.key)).status).toBe(200);
  });
});
