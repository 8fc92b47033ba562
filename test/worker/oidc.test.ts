import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { forgetExternalIssuers } from "../../src/auth/oidc";
import { TEST_OIDC_AUDIENCE, TEST_OIDC_ISSUER, TEST_OIDC_TENANT_ID } from "../support/test-constants";
import { authApp, TUESDAY_NOON } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, harbor, recordingMetrics, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";

const GUS_SUBJECT = "idp|gus-0001";

async function identityProvider(kid = "idp-key-1") {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    jwk,
    sign: (claims: Record<string, unknown> = {}, options: { kid?: string; iat?: number } = {}) => {
      const now = Math.floor(TUESDAY_NOON / 1000); // the test app's clock
      return new SignJWT({
        iss: TEST_OIDC_ISSUER,
        aud: TEST_OIDC_AUDIENCE,
        sub: GUS_SUBJECT,
        email: "gus.employee@globex.example",
        ...claims,
      })
        .setProtectedHeader({ alg: "RS256", kid: options.kid ?? kid })
        .setIssuedAt(options.iat ?? now)
        .setExpirationTime((options.iat ?? now) + 600)
        .sign(privateKey);
    },
  };
}

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  await superuserSql()`update users set external_subject = ${GUS_SUBJECT} where id = ${people.gus.userId}`;
});

describe("an external OIDC issuer", () => {
  it("its tokens are accepted through its JWKS, served on loopback, fetched once and shared through KV", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const before = await harbor.jwksFetches("globex");
    const api = authApp();
    const token = await idp.sign();
    for (let i = 0; i < 3; i++) {
      const res = await api.me(token);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).user.id).toBe(people.gus.userId);
    }
    expect((await harbor.jwksFetches("globex")) - before).toBe(1);
    expect(await testEnv.PERMISSIONS_KV.get(`jwks:${TEST_OIDC_ISSUER}`)).toContain(idp.jwk.kid);
    forgetExternalIssuers(); // a fresh isolate reads KV, not the issuer
    expect((await api.me(token)).status).toBe(200);
    expect((await harbor.jwksFetches("globex")) - before).toBe(1);
  });

  it("a failing identity provider is asked at most once per cool-down, also while no keys are cached", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", null);
    const before = await harbor.jwksFetches("globex");
    const api = authApp();
    for (let i = 0; i < 4; i++) await expectError(await api.me(await idp.sign()), 401, "UNAUTHORIZED");
    expect((await harbor.jwksFetches("globex")) - before).toBe(1);
    api.clock.advance(61_000);
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    expect((await api.me(await idp.sign({}, { iat: Math.floor(api.clock.nowMs / 1000) }))).status).toBe(200);
    expect((await harbor.jwksFetches("globex")) - before).toBe(2);
  });

  it("a rotated key is picked up by refetching on an unknown kid, at most once per cool-down", async () => {
    const oldIdp = await identityProvider("idp-key-1");
    await harbor.publishJwks("globex", { keys: [oldIdp.jwk] });
    const api = authApp();
    expect((await api.me(await oldIdp.sign())).status).toBe(200);
    const before = await harbor.jwksFetches("globex");

    const newIdp = await identityProvider("idp-key-2");
    await harbor.publishJwks("globex", { keys: [oldIdp.jwk, newIdp.jwk] });
    await expectError(await api.me(await newIdp.sign()), 401, "UNAUTHORIZED"); // within the cool-down of the first fetch
    expect(await harbor.jwksFetches("globex")).toBe(before);
    api.clock.advance(61_000);
    expect((await api.me(await newIdp.sign())).status).toBe(200);
    expect(await harbor.jwksFetches("globex")).toBe(before + 1);
    await expectError(await api.me(await newIdp.sign({}, { kid: "idp-key-unknown" })), 401, "UNAUTHORIZED");
    await expectError(await api.me(await newIdp.sign({}, { kid: "idp-key-unknown-2" })), 401, "UNAUTHORIZED");
    expect(await harbor.jwksFetches("globex")).toBe(before + 1);
  });

  it("a token from the issuer of one tenant cannot name another tenant's user", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    await superuserSql()`update users set external_subject = 'idp|emma' where id = ${people.emma.userId}`;
    const api = authApp();
    await expectError(await api.me(await idp.sign({ sub: "idp|emma" })), 401, "UNAUTHORIZED");
    expect((await api.me(await idp.sign())).status).toBe(200);
  });

  it("refuses wrong audience, expired tokens, and tokens signed by a key not in the JWKS", async () => {
    const idp = await identityProvider();
    const stranger = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    await expectError(await api.me(await idp.sign({ aud: "someone-else" })), 401, "UNAUTHORIZED");
    await expectError(await api.me(await idp.sign({}, { iat: Math.floor(TUESDAY_NOON / 1000) - 7200 })), 401, "UNAUTHORIZED");
    await expectError(await api.me(await stranger.sign()), 401, "UNAUTHORIZED");
    expect((await api.me(await idp.sign())).status).toBe(200);
  });

  it("deactivation ends external access at once, also for a token the issuer signs afterwards", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    expect((await api.me(await idp.sign())).status).toBe(200); // Gus's roles are now cached
    const gina = await api.tokens(people.gina.email, "globex");
    api.clock.advance(1000);
    const res = await api.postJson(`/v1/users/${people.gus.userId}/deactivate`, {}, { Authorization: `Bearer ${gina.access_token}` });
    expect(res.status).toBe(204);
    api.clock.advance(1000);
    const issuedAfter = await idp.sign({}, { iat: Math.floor(api.clock.nowMs / 1000) });
    await expectError(await api.me(issuedAfter), 401, "UNAUTHORIZED");
  });

  it("logout-all ends external sessions too: tokens issued before it are refused", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    const token = await idp.sign({}, { iat: Math.floor(api.clock.nowMs / 1000) - 5 });
    expect((await api.send("/v1/auth/logout-all", { method: "POST", headers: { Authorization: `Bearer ${token}` } })).status).toBe(204);
    await expectError(await api.me(token), 401, "UNAUTHORIZED");
  });
});

describe("linking people to the issuer's subjects", () => {
  const link = (api: ReturnType<typeof authApp>, token: string, userId: string, subject: string | null) =>
    subject === null
      ? api.send(`/v1/users/${userId}/external-identity`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } })
      : api.send(`/v1/users/${userId}/external-identity`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ subject }),
        });
  const subjectOf = async (userId: string) =>
    ((await superuserSql()`select external_subject from users where id = ${userId}`) as [{ external_subject: string | null }])[0]
      .external_subject;

  it("HR unlinks and relinks through the API: each ends the sessions, and no isolate keeps using the old mapping", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    expect((await api.me(await idp.sign())).status).toBe(200); // this isolate now maps the subject to Gus
    const gina = (await api.tokens(people.gina.email, "globex")).access_token;
    api.clock.advance(1000);
    expect((await link(api, gina, people.gus.userId, null)).status).toBe(204);
    expect(await subjectOf(people.gus.userId)).toBeNull();
    api.clock.advance(1000);
    // Signed after the unlink, so no session version refuses it: only looking the subject up again does.
    await expectError(await api.me(await idp.sign({}, { iat: Math.floor(api.clock.nowMs / 1000) })), 401, "UNAUTHORIZED");

    const relinked = await link(api, gina, people.gus.userId, "idp|gus-0002");
    expect(await relinked.json()).toEqual({ user_id: people.gus.userId, subject: "idp|gus-0002" });
    api.clock.advance(1000);
    const now = Math.floor(api.clock.nowMs / 1000);
    await expectError(await api.me(await idp.sign({}, { iat: now })), 401, "UNAUTHORIZED");
    const me = await api.me(await idp.sign({ sub: "idp|gus-0002" }, { iat: now }));
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(people.gus.userId);
    const actions = await superuserSql()`select action, personal_details from audit_log where target_id = ${people.gus.userId} order by id`;
    expect(actions).toEqual([
      { action: "user.external_identity_unlink", personal_details: null },
      { action: "user.external_identity_link", personal_details: { subject: "idp|gus-0002" } },
    ]);
  });

  it("a subject held by someone else is a 409; only those who may manage the user link them; nothing changes on a refusal", async () => {
    const api = authApp();
    const gina = (await api.tokens(people.gina.email, "globex")).access_token;
    await expectError(await link(api, gina, people.gina.userId, GUS_SUBJECT), 409, "CONFLICT");
    expect(await subjectOf(people.gina.userId)).toBeNull();
    const hana = (await api.tokens(people.hana.email)).access_token;
    await expectError(await link(api, hana, people.sam.userId, "idp|sam"), 403, "FORBIDDEN");
    await expectError(await link(api, hana, people.gus.userId, "idp|x"), 404, "RESOURCE_NOT_FOUND");
    const emma = (await api.tokens(people.emma.email)).access_token;
    await expectError(await link(api, emma, people.emma.userId, "idp|emma"), 403, "FORBIDDEN");
    const empty = await link(api, hana, people.emma.userId, "");
    await expectError(empty, 400, "VALIDATION_FAILED");
    expect(await subjectOf(people.sam.userId)).toBeNull();
    expect(await subjectOf(people.emma.userId)).toBeNull();
  });
});

describe("just-in-time linking by email", () => {
  const JIT = {
    OIDC_ISSUERS: JSON.stringify(
      (JSON.parse(testEnv.OIDC_ISSUERS as unknown as string) as Record<string, unknown>[]).map((i) => ({ ...i, jit_link_by_email: true })),
    ),
  } as never;
  const NEW_SUBJECT = "idp|gus-fresh";
  const gusToken = (idp: Awaited<ReturnType<typeof identityProvider>>, claims: Record<string, unknown>) =>
    idp.sign({ sub: NEW_SUBJECT, email: people.gus.email, ...claims });

  beforeEach(async () => {
    await superuserSql()`update users set external_subject = null where id = ${people.gus.userId}`;
  });

  it("links a new subject to the active user of the email the issuer vouched for, once, audited", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    const res = await api.me(await gusToken(idp, { email: people.gus.email.toUpperCase(), email_verified: true }), {}, JIT);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { id: string } }).user.id).toBe(people.gus.userId);
    const [gus] = (await superuserSql()`select external_subject from users where id = ${people.gus.userId}`) as [
      { external_subject: string },
    ];
    expect(gus.external_subject).toBe(NEW_SUBJECT);
    expect((await api.me(await gusToken(idp, { email_verified: true }), {}, JIT)).status).toBe(200);
    const audit = await superuserSql()`select actor_type, actor_id, details from audit_log where action = 'user.external_identity_link'`;
    expect(audit).toEqual([{ actor_type: "system", actor_id: "system:auth", details: { via: "verified_email" } }]);
  });

  it("never without email_verified: true, nor for a System Admin, a deactivated or an already linked user, nor without the setting", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const api = authApp();
    for (const claims of [{}, { email_verified: false }, { email_verified: "true" }, { email_verified: 1 }]) {
      await expectError(await api.me(await gusToken(idp, claims), {}, JIT), 401, "UNAUTHORIZED");
    }
    await expectError(await api.me(await gusToken(idp, { email_verified: true })), 401, "UNAUTHORIZED"); // the default: no linking
    await superuserSql()`insert into role_assignments (tenant_id, user_id, role) values (${TEST_OIDC_TENANT_ID}, ${people.gus.userId}, 'system_admin')`;
    await expectError(await api.me(await gusToken(idp, { email_verified: true }), {}, JIT), 401, "UNAUTHORIZED");
    await superuserSql()`delete from role_assignments where user_id = ${people.gus.userId} and role = 'system_admin'`;
    await superuserSql()`update users set external_subject = 'idp|gus-old' where id = ${people.gus.userId}`;
    await expectError(await api.me(await gusToken(idp, { email_verified: true }), {}, JIT), 401, "UNAUTHORIZED");
    await superuserSql()`update users set external_subject = null, status = 'deactivated' where id = ${people.gus.userId}`;
    await expectError(await api.me(await gusToken(idp, { email_verified: true }), {}, JIT), 401, "UNAUTHORIZED");
    const [gus] = (await superuserSql()`select external_subject from users where id = ${people.gus.userId}`) as [
      { external_subject: string | null },
    ];
    expect(gus.external_subject).toBeNull();
    const [{ n }] = (await superuserSql()`select count(*)::int as n from audit_log where action = 'user.external_identity_link'`) as [
      { n: number },
    ];
    expect(n).toBe(0);
  });
});

describe("single sign-on and security signals", () => {
  it("an admin's first request from another country raises security.admin_new_country; noted once an hour per isolate", async () => {
    const idp = await identityProvider();
    await harbor.publishJwks("globex", { keys: [idp.jwk] });
    const GINA_SUBJECT = "idp|gina-0001";
    await superuserSql()`update users set external_subject = ${GINA_SUBJECT} where id = ${people.gina.userId}`;
    const api = authApp();
    const { points, METRICS } = recordingMetrics();
    // A token the identity provider signs now, on the app's clock (they live 10 minutes).
    const from = async (country: string) => {
      const token = await idp.sign({ sub: GINA_SUBJECT, email: people.gina.email }, { iat: Math.floor(api.clock.nowMs / 1000) });
      const res = await api.send("/v1/me", { cf: { country }, headers: { Authorization: `Bearer ${token}` } } as RequestInit, { METRICS });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    for (const country of ["US", "US", "DE", "DE"]) await from(country);

    const signals = await superuserSql()`select action, actor_id, details from audit_log where action like 'security.%'`;
    expect(signals).toEqual([
      { action: "security.admin_new_country", actor_id: people.gina.userId, details: { user_id: people.gina.userId, country: "DE" } },
    ]);
    expect(points.filter((p) => p.blobs![0] === "security").map((p) => p.blobs![1])).toEqual(["admin_new_country"]);
    const places = async () =>
      (await superuserSql()`select value, last_seen_at from sign_in_places where principal_id = ${people.gina.userId} order by value`) as {
        value: string;
        last_seen_at: string;
      }[];
    const noted = await places();
    expect(noted.map((p) => p.value)).toEqual(["DE", "US"]);

    // Within the hour the isolate does not write again; after it, the place's last sighting moves on.
    api.clock.advance(30 * 60_000);
    await from("US");
    expect(await places()).toEqual(noted);
    api.clock.advance(31 * 60_000);
    await from("US");
    const [, us] = await places();
    expect(new Date(us!.last_seen_at).getTime()).toBe(api.clock.nowMs);
  });
});
