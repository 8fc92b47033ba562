import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { systemCaller } from "../db/claims";
import { runInDatabase } from "../db/door";
import type { Role } from "../kernel/access";
import { constantTimeEqual, randomHex } from "../kernel/bytes";
import type { Config } from "../kernel/config";
import { AUTH_CACHE_ENTRIES } from "../kernel/constants";
import type { AppEnv, Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import { countKeyRequest, failedKeyAttempt, refuseBlockedAddress } from "./limiter";
import type { Permission } from "./permissions";
import { randomToken, sha256Hex } from "./secrets";
import { notePlaceAfterAnswer, requestFacts, whereFrom } from "./security-signals";

const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Service API keys: `llk_<prefix>_<secret>`. The prefix is public (it names the key in lists, logs and its
 * rate-limit object); only the SHA-256 of the whole key is stored. A key acts, with its one role, for the
 * person who created it, and only while that person is active and holds the role. Revoking or rotating raises the version
 * in the key's Durable Object, so this isolate's cached lookup is never used again.
 */
export const API_KEY_PREFIX = "llk_";
const KEY_SHAPE = /^llk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const TOUCH_INTERVAL_MS = 60_000;

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function keyPrefix(token: string): string | null {
  return KEY_SHAPE.exec(token)?.[1] ?? null;
}

/** A new key for `prefix` (kept across rotations); the caller shows it once and stores only its hash. */
export async function newApiKey(prefix = randomHex(6)): Promise<{ key: string; prefix: string; hash: string }> {
  const key = `${API_KEY_PREFIX}${prefix}_${randomToken("")}`;
  return { key, prefix, hash: await sha256Hex(key) };
}

type KeyRow = {
  id: string;
  tenant_id: string;
  key_hash: string;
  role: Role;
  scopes: Permission[];
  /** Revoked, or its creator is no longer active or their roles no longer grant everything the key may do. */
  revoked: boolean;
  acting_user_id: string;
  acting_employee_id: string | null;
};

/** `<prefix>:<version>` → the key's row: a rotation or revocation raises the version, so the entry is never asked for again. */
const lookups = new ExpiringCache<KeyRow>(AUTH_CACHE_ENTRIES);
/** Key id → when this isolate last recorded its use. */
const lastTouched = new Map<string, number>();

/** Tests reset isolate state between cases. */
export function forgetApiKeys(): void {
  lookups.clear();
  lastTouched.clear();
}

/** The key's row: this isolate's copy for `version` (at most a minute old), else Postgres'. Null: no such key. */
async function keyRow(config: Config, prefix: string, version: number | null, nowMs: number): Promise<KeyRow | null> {
  const cacheKey = version === null ? null : `${prefix}:${version}`;
  const cached = cacheKey ? lookups.get(cacheKey, nowMs) : undefined;
  if (cached) return cached;
  const [result] = await runInDatabase(
    config,
    systemCaller("auth"),
    (db) => [db.execute<KeyRow>(sql`select * from app.api_key_lookup(${prefix})`)],
    { readOnly: true },
  );
  const row = result.rows[0] ?? null;
  if (row && cacheKey) lookups.set(cacheKey, row, nowMs);
  return row;
}

/**
 * The principal of a presented key, with one Durable Object call: the key's object verifies the secret's hash
 * and only then counts the request. When it holds no hash yet, Postgres vouches for the secret and the object
 * takes the hash (a second call, once per key and version). Every failure counts against the caller's address
 * (`failedKeyAttempt`). If the object cannot be reached, Postgres alone decides and nothing is counted (logged).
 */
export async function authenticateApiKey(c: Context<AppEnv>, token: string, nowMs: number): Promise<Principal> {
  refuseBlockedAddress(c, nowMs);
  const prefix = keyPrefix(token);
  if (!prefix) return failedKeyAttempt(c, nowMs);
  const hash = await sha256Hex(token);
  const first = await countKeyRequest(c, prefix, hash, nowMs);
  if (first?.outcome === "mismatch") return failedKeyAttempt(c, nowMs);
  const version = first === null ? null : first.outcome === "verified" ? first.hit.sessionVersion : first.sessionVersion;
  const row = await keyRow(c.get("config"), prefix, version, nowMs);
  if (!row || row.revoked || !constantTimeEqual(utf8(hash), utf8(row.key_hash))) return failedKeyAttempt(c, nowMs);
  if (first?.outcome === "unknown") {
    const installed = await countKeyRequest(c, prefix, hash, nowMs, { version: first.sessionVersion });
    if (installed && installed.outcome !== "verified") {
      throw new AppError("SERVICE_UNAVAILABLE", "The key is being changed; retry", { dependency: "rate_limiter" });
    }
  }
  touch(c, row, nowMs);
  return {
    kind: "api_key",
    userId: row.acting_user_id,
    tenantId: row.tenant_id,
    employeeId: row.acting_employee_id,
    roles: [row.role],
    scopes: row.scopes,
    keyId: row.id,
  };
}

/**
 * Records the key's last use, and the network it came from, at most once a minute per isolate and network, after the
 * answer: a key's first use from another network than before raises `api_key_new_asn`.
 */
function touch(c: Context<AppEnv>, row: KeyRow, nowMs: number): void {
  const { asn } = whereFrom(c.req.raw);
  const seen = `${row.id}:${asn ?? ""}`;
  if ((lastTouched.get(seen) ?? 0) + TOUCH_INTERVAL_MS > nowMs) return;
  if (lastTouched.size >= AUTH_CACHE_ENTRIES) lastTouched.clear();
  lastTouched.set(seen, nowMs);
  notePlaceAfterAnswer(
    c,
    row.tenant_id,
    { ...requestFacts(c), now: nowMs },
    { principalType: "api_key", principalId: row.id, value: asn },
    (db) => [db.execute(sql`select app.touch_api_key(${row.id}, ${new Date(nowMs).toISOString()})`)],
  );
}
