/** Fixed test configuration: long enough to pass validation, never used outside tests. */
export const TEST_PIN_PEPPER = "test-pin-pepper-0123456789abcdef0123456789";
export const TEST_ALLOWED_ORIGIN = "https://app.leave-ledger.test";

/** Test-only ES256 keys (generated once, fixed so runs are deterministic). The "attacker" key is not configured anywhere. */
export const TEST_JWT_KEY = {
  kty: "EC",
  x: "X9hq_rdioRFD2VjJcfYzx4cLlOGJeAuvGi_HgNcBZ0A",
  y: "VTQoXSqs3YSv1ycSp9erLkVZArqiTaYvSlrasdPVslw",
  crv: "P-256",
  d: "vlKGBKG19qTqTq4ClrnOpl1vRaLzy_37WucjpMabcr4",
  kid: "test-2026-11",
  alg: "ES256",
};
export const TEST_PREVIOUS_JWT_KEY = {
  kty: "EC",
  x: "rWXGGPqA-p9zeE7wNNfBWMR3kyAemiZ1Xl4Hq0jtdE4",
  y: "SsAjHJYm6U1hk3nQsDeYN-W3iyJxYYl_s77lk-23HSs",
  crv: "P-256",
  d: "x8ScNT1uYnxE5VDnT8V803EkjEfj9X_VEjthQpBm0Xs",
  kid: "test-2026-10",
  alg: "ES256",
};
export const ATTACKER_JWT_KEY = {
  kty: "EC",
  x: "veBxI05cO4K5K0FEzcR8sAY-nyM9Zkhn1MzzquJmA0Q",
  y: "ru2J388Fk4Xr7joIBISxDnIYQD6ylBxejHIN2oA9vUI",
  crv: "P-256",
  d: "JS6mSxygQl7gI1-KssdujIIRfAE84GG29SMS_ELwmT4",
  kid: "attacker",
  alg: "ES256",
};
export const TEST_JWT_ISSUER = "https://api.leave-ledger.test";
export const TEST_JWT_AUDIENCE = "leave-ledger-api";

/** Globex signs in through its own OIDC provider, whose JWKS the harbor serves on loopback. */
export const TEST_OIDC_ISSUER = "https://idp.globex.test";
export const TEST_OIDC_AUDIENCE = "leave-ledger";
export const TEST_OIDC_TENANT_ID = "00000000-0000-4000-8200-000000000001";

/**
 * Test-only claims keys (HMAC, src/db/claims.ts). The global setup installs TEST_DB_CLAIMS_KEY in the test
 * database and the Worker signs with it; the other two are installed only by tests that say so.
 */
export const TEST_DB_CLAIMS_KEY = {
  kty: "oct",
  k: "R6pmiTxJqbtt__XcgTuvG7TbWfJob_QVk0mhs_j90Lk",
  kid: "test-claims-2026-11",
  alg: "HS256",
} as const;
export const TEST_PREVIOUS_DB_CLAIMS_KEY = {
  kty: "oct",
  k: "oKkJ6fQ06Et4dppB1DLvl-hahLyE47kO3nHlcD896fI",
  kid: "test-claims-2026-10",
  alg: "HS256",
} as const;
export const ATTACKER_DB_CLAIMS_KEY = {
  kty: "oct",
  k: "2hzQGQiQMkBtq0FJwkTdnlFbd0nBGqAZgK5vlCXtUkw",
  kid: "test-claims-2026-11",
  alg: "HS256",
} as const;

/**
 * Test-only key-encryption keys (src/crypto/data-keys.ts): the Worker wraps data keys with TEST_DATA_KEK; the
 * previous one stands for a key being rotated out.
 */
export const TEST_DATA_KEK = {
  kty: "oct",
  k: "LZweXM4WOvRCVUZy7Cfznhcc5Vu8Edauq7mSrmz-ebc",
  kid: "test-kek-2026-12",
  alg: "A256KW",
} as const;
export const TEST_PREVIOUS_DATA_KEK = {
  kty: "oct",
  k: "fJpBK2XprX-4EVMRaNq_nxgLUCZ1MDWpkxJdY3on3Uk",
  kid: "test-kek-2026-11",
  alg: "A256KW",
} as const;
