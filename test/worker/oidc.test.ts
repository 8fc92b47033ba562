import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { forgetExternalIssuers } from "../../src/auth/oidc";
import { TEST_OIDC_AUDIENCE, TEST_OIDC_ISSUER } from "../support/test-constants";
import { authApp, TUESDAY_NOON } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, harbor, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";

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
