import type { Permission, Role } from "../kernel/access";

/**
 * The one shape of claims Postgres sees as `request.jwt.claims` (read by `app.claims()` and every RLS
 * policy). Built by the server from the verified identity and the database, never copied from client input.
 */
export interface UserClaims {
  /** "api_key": a service key acting, with its one role, for the person who created it. */
  caller: "user" | "api_key";
  /** users.id of the acting person (for an API key: its creator) */
  sub: string;
  tenant_id: string;
  /** employees.id of the acting person, or null for a user without an employee record */
  employee_id: string | null;
  roles: Role[];
  /** When not empty, only these permissions (an API key's scopes, a kiosk session's): app.can honours them. */
  scopes?: Permission[];
  /** api_keys.id, when a key acts */
  key_id?: string;
  /** employees.id of the managers whose approvals the caller holds by a delegation running at the request's time */
  acting_for?: string[];
}

/** Work with no end-user caller. Each name is a distinct, auditable caller that may only run granted functions. */
export const SYSTEM_CALLERS = ["health", "tenant-directory", "login", "auth", "scheduler", "webhooks"] as const;
export type SystemCallerName = (typeof SYSTEM_CALLERS)[number];

export interface SystemClaims {
  caller: `system:${SystemCallerName}`;
  sub: null;
  tenant_id: string | null;
  employee_id: null;
  roles: [];
}

export type Claims = UserClaims | SystemClaims;

export type Caller = { kind: "user"; claims: UserClaims } | { kind: "system"; name: SystemCallerName; tenantId?: string };

export function systemCaller(name: SystemCallerName, tenantId?: string): Caller {
  return tenantId === undefined ? { kind: "system", name } : { kind: "system", name, tenantId };
}

export function claimsOf(caller: Caller): Claims {
  if (caller.kind === "user") return caller.claims;
  return { caller: `system:${caller.name}`, sub: null, tenant_id: caller.tenantId ?? null, employee_id: null, roles: [] };
}

/**
 * Postgres accepts claims only if the Worker signed them (migrations/functions/10_claims.sql): `app.claims()`
 * checks, on every call, an HMAC-SHA256 over the exact claims text with a key it holds under the same key id in
 * `claims_keys`, and an `exp` inside the signed text against the database clock. Without the key, the login in
 * DATABASE_URL can act as nobody. Shared by the Worker's door and the Node scripts (seed, tests): WebCrypto
 * only, so it runs in both.
 */
/** The settings the claims travel in, set per transaction (`set_config(…, true)`). */
export const CLAIMS_SETTING = "request.jwt.claims";
export const CLAIMS_SIGNATURE_SETTING = "request.jwt.claims_signature";
/**
 * Signed claims are good for this long (Postgres refuses an `exp` more than 60 s ahead of its clock, or more
 * than 5 s behind it). A transaction checks them against its start time, so a long one is not cut short.
 */
export const CLAIMS_TTL_SECONDS = 30;

export interface SignedClaims {
  /** The claims as JSON, with `exp` (seconds since the epoch): exactly the text that was signed. */
  claims: string;
  /** `<kid>:<HMAC-SHA256 of claims, hex>` */
  signature: string;
}

/** The parts of a claims key the signer needs (an HMAC JWK: `config.DB_CLAIMS_KEY`). */
export interface ClaimsSigningKey {
  kid: string;
  k: string;
}

/** Imported once per key object (per configuration, so once per isolate), like the token keys. */
const imported = new WeakMap<ClaimsSigningKey, Promise<CryptoKey>>();

function importClaimsKey(key: ClaimsSigningKey): Promise<CryptoKey> {
  let cryptoKey = imported.get(key);
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey("jwk", { kty: "oct", k: key.k, alg: "HS256" }, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    imported.set(key, cryptoKey);
  }
  return cryptoKey;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Signs `claims` for one transaction, good until `nowMs` + CLAIMS_TTL_SECONDS (`nowMs`: the wall clock). */
export async function signClaims(
  claims: Claims | Record<string, unknown>,
  key: ClaimsSigningKey,
  nowMs: number = Date.now(),
): Promise<SignedClaims> {
  const text = JSON.stringify({ ...claims, exp: Math.floor(nowMs / 1000) + CLAIMS_TTL_SECONDS });
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await importClaimsKey(key), new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of mac) hex += HEX[byte];
  return { claims: text, signature: `${key.kid}:${hex}` };
}

/** For scripts and tests that set claims themselves (parameters: `signed.claims`, `signed.signature`). */
export const SET_SIGNED_CLAIMS_SQL = `select set_config('${CLAIMS_SETTING}', $1, true), set_config('${CLAIMS_SIGNATURE_SETTING}', $2, true)`;
