/**
 * Forged and broken access tokens, grouped by the attack they try. Every one must be refused with 401 in
 * the error shape (never 5xx), and after each one a valid token on the same route must still succeed — so a
 * verifier that refuses everything fails this file too.
 */
import { CompactSign, exportSPKI, generateKeyPair, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_TOKEN_LENGTH } from "../../src/kernel/constants";
import { ATTACKER_JWT_KEY, TEST_JWT_AUDIENCE, TEST_JWT_ISSUER, TEST_JWT_KEY, TEST_PREVIOUS_JWT_KEY } from "../support/test-constants";
import { authApp } from "../support/worker/auth";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

const api = authApp();
const bindings = { RATE_LIMIT_USER_PER_MINUTE: "10000", RATE_LIMIT_USER_PER_HOUR: "10000" };
let validToken: string;

const b64 = (value: unknown) =>
  btoa(typeof value === "string" ? value : JSON.stringify(value))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
const nowSeconds = () => Math.floor(api.clock.nowMs / 1000);

function claims(overrides: Record<string, unknown> = {}) {
  const now = nowSeconds();
  const base: Record<string, unknown> = {
    iss: TEST_JWT_ISSUER,
    aud: TEST_JWT_AUDIENCE,
    sub: people.emma.userId,
    tid: "00000000-0000-4000-8100-000000000001",
    sv: 0,
    iat: now,
    nbf: now,
    exp: now + 900,
    jti: crypto.randomUUID(),
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}

async function es256(payload: Record<string, unknown>, header: Record<string, unknown> = {}, jwk: Record<string, unknown> = TEST_JWT_KEY) {
  const key = await importJWK(jwk, "ES256");
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: String(jwk.kid), ...header } as never)
    .sign(key);
}

async function hmac(alg: "HS256" | "HS512", secret: string, payload = claims(), header: Record<string, unknown> = {}) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: "at+jwt", kid: TEST_JWT_KEY.kid, ...header } as never)
    .sign(new TextEncoder().encode(secret));
}

/** Signs any header, even one jose would refuse to produce (an unknown `crit`), with our real key. */
async function rawEs256(header: Record<string, unknown>, payload: Record<string, unknown>) {
  const key = await crypto.subtle.importKey("jwk", { ...TEST_JWT_KEY, alg: undefined }, { name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(input)));
  return `${input}.${b64(String.fromCharCode(...signature))}`;
}

const unsigned = (header: Record<string, unknown>, payload = claims()) => `${b64(header)}.${b64(payload)}.`;
const replacePart = (token: string, index: number, value: string) =>
  token
    .split(".")
    .map((part, i) => (i === index ? value : part))
    .join(".");

type Case = [name: string, build: () => Promise<string> | string];

const cases: Record<string, Case[]> = {
  "algorithm confusion": [
    ["alg none", () => unsigned({ alg: "none", typ: "at+jwt", kid: TEST_JWT_KEY.kid })],
    ["alg None (case games)", () => unsigned({ alg: "None", typ: "at+jwt", kid: TEST_JWT_KEY.kid })],
    [
      "alg none with a signature of a real token",
      async () => replacePart(await es256(claims()), 0, b64({ alg: "none", typ: "at+jwt", kid: TEST_JWT_KEY.kid })),
    ],
    [
      "HS256 keyed with our public JWK",
      () => hmac("HS256", JSON.stringify({ kty: "EC", crv: "P-256", x: TEST_JWT_KEY.x, y: TEST_JWT_KEY.y })),
    ],
    [
      "HS256 keyed with our public key PEM",
      async () =>
        hmac("HS256", await exportSPKI((await importJWK({ ...TEST_JWT_KEY, d: undefined }, "ES256", { extractable: true })) as CryptoKey)),
    ],
    ["HS512 with a guessed secret", () => hmac("HS512", "secret")],
    [
      "RS256 with an attacker's RSA key",
      async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
          .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: TEST_JWT_KEY.kid })
          .sign(privateKey);
      },
    ],
    [
      "ES384 header on an ES256 signature",
      async () => replacePart(await es256(claims()), 0, b64({ alg: "ES384", typ: "at+jwt", kid: TEST_JWT_KEY.kid })),
    ],
  ],
  "keys and key ids": [
    ["unknown kid", () => es256(claims(), { kid: "2019-old-key" })],
    ["no kid", async () => replacePart(await es256(claims()), 0, b64({ alg: "ES256", typ: "at+jwt" }))],
    ["kid with path traversal", () => es256(claims(), { kid: "../../../../etc/passwd" })],
    ["kid with SQL", () => es256(claims(), { kid: "' OR '1'='1' --" })],
    ["kid as a number", () => es256(claims(), { kid: 1 })],
    ["kid of the previous key, signed with the current key", () => es256(claims(), { kid: TEST_PREVIOUS_JWT_KEY.kid })],
    ["our kid, signed with an attacker's key", () => es256(claims(), { kid: TEST_JWT_KEY.kid }, ATTACKER_JWT_KEY)],
    ["attacker's key and kid", () => es256(claims(), {}, ATTACKER_JWT_KEY)],
    [
      "attacker's key embedded as jwk header",
      async () => {
        const { x, y, crv, kty } = ATTACKER_JWT_KEY;
        return es256(claims(), { kid: "attacker", jwk: { x, y, crv, kty } }, ATTACKER_JWT_KEY);
      },
    ],
    [
      "jku pointing at an attacker's JWKS",
      () => es256(claims(), { kid: "attacker", jku: "https://evil.example/jwks.json" }, ATTACKER_JWT_KEY),
    ],
    [
      "unknown critical header",
      () => rawEs256({ alg: "ES256", typ: "at+jwt", kid: TEST_JWT_KEY.kid, crit: ["x-evil"], "x-evil": true }, claims()),
    ],
  ],
  time: [
    ["expired two minutes ago", () => es256(claims({ iat: nowSeconds() - 1020, nbf: nowSeconds() - 1020, exp: nowSeconds() - 120 }))],
    ["expired just past the 60 s skew", () => es256(claims({ iat: nowSeconds() - 961, nbf: nowSeconds() - 961, exp: nowSeconds() - 61 }))],
    ["not valid for another two minutes", () => es256(claims({ nbf: nowSeconds() + 120 }))],
    [
      "issued two minutes in the future",
      () => es256(claims({ iat: nowSeconds() + 120, nbf: nowSeconds() + 120, exp: nowSeconds() + 1020 })),
    ],
    [
      "older than the maximum age, with a far expiry",
      () => es256(claims({ iat: nowSeconds() - 3600, nbf: nowSeconds() - 3600, exp: nowSeconds() + 3600 })),
    ],
    ["no exp", () => es256(claims({ exp: undefined }))],
    ["no iat", () => es256(claims({ iat: undefined }))],
    ["exp as a string", () => es256(claims({ exp: String(nowSeconds() + 900) }))],
  ],
  "issuer and audience": [
    ["wrong issuer", () => es256(claims({ iss: "https://evil.example" }))],
    ["no issuer", () => es256(claims({ iss: undefined }))],
    ["wrong audience", () => es256(claims({ aud: "another-api" }))],
    ["no audience", () => es256(claims({ aud: undefined }))],
    ["audience list without ours", () => es256(claims({ aud: ["a", "b"] }))],
  ],
  claims: [
    ["no sub", () => es256(claims({ sub: undefined }))],
    ["sub that is not a user id", () => es256(claims({ sub: "admin" }))],
    ["no tenant", () => es256(claims({ tid: undefined }))],
    ["tenant that is not an id", () => es256(claims({ tid: "acme" }))],
    ["user of one tenant with another tenant's id", () => es256(claims({ tid: "00000000-0000-4000-8200-000000000001" }))],
    ["no session version", () => es256(claims({ sv: undefined }))],
    ["negative session version", () => es256(claims({ sv: -1 }))],
    ["session version as a string", () => es256(claims({ sv: "0" }))],
    ["no jti", () => es256(claims({ jti: undefined }))],
    ["typ JWT instead of an access token type", () => es256(claims(), { typ: "JWT" })],
    ["no typ", async () => replacePart(await es256(claims()), 0, b64({ alg: "ES256", kid: TEST_JWT_KEY.kid }))],
    [
      "a deactivated user's valid token",
      async () => {
        await superuserSql()`update users set status = 'deactivated' where id = ${people.eli.userId}`;
        return es256(claims({ sub: people.eli.userId }));
      },
    ],
  ],
  tampering: [
    [
      "payload changed to another user, signature kept",
      async () => replacePart(await es256(claims()), 1, b64(claims({ sub: people.sam.userId }))),
    ],
    [
      "one signature character changed",
      async () => {
        const token = await es256(claims());
        const last = token.at(-2) === "A" ? "B" : "A";
        return `${token.slice(0, -2)}${last}${token.at(-1)}`;
      },
    ],
    ["signature removed", async () => replacePart(await es256(claims()), 2, "")],
    [
      "signature of another token",
      async () => replacePart(await es256(claims()), 2, (await es256(claims({ sub: people.sam.userId }))).split(".")[2]!),
    ],
  ],
  garbage: [
    ["oversized token", async () => `${await es256(claims({ pad: "x".repeat(MAX_TOKEN_LENGTH) }))}`],
    ["a word", () => "hello"],
    ["two segments", () => `${b64({ alg: "ES256" })}.${b64(claims())}`],
    ["five segments (JWE shape)", () => "a.b.c.d.e"],
    ["empty segments", () => ".."],
    ["header that is not JSON", () => `${b64("not json")}.${b64(claims())}.sig`],
    ["header that is JSON null", () => `${b64("null")}.${b64(claims())}.sig`],
    ["payload that is not JSON", async () => replacePart(await es256(claims()), 1, b64("{not json"))],
    ["refresh token used as access token", () => "llr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
  ],
};

beforeAll(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  validToken = (await api.tokens(people.emma.email)).access_token;
});

describe("the forged-token corpus", () => {
  it("has at least 40 cases", () => {
    expect(Object.values(cases).flat().length).toBeGreaterThanOrEqual(40);
  });

  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      it.each(list)("%s → 401, and a valid token still works", async (_, build) => {
        const token = await build();
        const res = await api.me(token, {}, bindings);
        expect(res.status).toBeLessThan(500);
        await expectError(res, 401, "UNAUTHORIZED");
        const ok = await api.me(validToken, {}, bindings);
        expect(ok.status).toBe(200);
      });
    });
  }

  it("a token signed with the previous key is still accepted during rotation", async () => {
    const token = await es256(claims(), {}, TEST_PREVIOUS_JWT_KEY);
    expect((await api.me(token, {}, bindings)).status).toBe(200);
  });

  it("a token within the 60 s skew is accepted", async () => {
    const token = await es256(claims({ iat: nowSeconds() - 930, nbf: nowSeconds() - 930, exp: nowSeconds() - 30 }));
    expect((await api.me(token, {}, bindings)).status).toBe(200);
  });

  it("a token signed by hand the same way, without the unknown crit, is accepted (the signer above is sound)", async () => {
    expect((await api.me(await rawEs256({ alg: "ES256", typ: "at+jwt", kid: TEST_JWT_KEY.kid }, claims()), {}, bindings)).status).toBe(200);
  });

  it("the scheme name is case-insensitive", async () => {
    expect((await api.send("/v1/me", { headers: { Authorization: `bearer ${validToken}` } }, bindings)).status).toBe(200);
  });
});
