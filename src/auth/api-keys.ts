import { sql } from "drizzle-orm";
import { systemCaller } from "../db/claims";
import { runInDatabase } from "../db/door";
import type { Role } from "../kernel/access";
import { constantTimeEqual, randomHex } from "../kernel/bytes";
import type { Config } from "../kernel/config";
import { AUTH_CACHE_ENTRIES } from "../kernel/constants";
import type { Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import type { Permission } from "./permissions";
import { randomToken, sha256Hex } from "./secrets";

const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Service API keys: `llk_<prefix>_<secret>`. The prefix is public (it names the key in lists, logs and its
 * rate-limit object); only the SHA-256 of the whole key is stored. Revoking or rotating raises the version
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

type KeyRow = { id: string; tenant_id: string; key_hash: string; role: Role; scopes: Permission[]; revoked: boolean };

/** `<prefix>:<version>` → the key's row: a rotation or revocation raises the version, so the entry is never asked for again. */
const lookups = new ExpiringCache<KeyRow>(AUTH_CACHE_ENTRIES);
/** Key id → when this isolate last recorded its use. */
const lastTouched = new Map<string, number>();

/** Tests reset isolate state between cases. */
export function forgetApiKeys(): void {
  lookups.clear();
  lastTouched.clear();
}

/**
 * The principal of a presented key. `version` comes from the key's Durable Object (null when it could not be
 * reached: then Postgres is asked every time).
 */
export async function authenticateApiKey(
  config: Config,
  token: string,
  version: number | null,
  nowMs: number,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Principal> {
  const invalid = () => new AppError("UNAUTHORIZED", "Invalid or revoked API key");
  const prefix = keyPrefix(token);
  if (!prefix) throw invalid();
  const cacheKey = version === null ? null : `${prefix}:${version}`;
  let row = cacheKey ? lookups.get(cacheKey, nowMs) : undefined;
  if (!row) {
    const [result] = await runInDatabase(
      config,
      systemCaller("auth"),
      (db) => [db.execute<KeyRow>(sql`select * from app.api_key_lookup(${prefix})`)],
      {
        readOnly: true,
      },
    );
    row = result.rows[0];
    if (!row) throw invalid();
    if (cacheKey) lookups.set(cacheKey, row, nowMs);
  }
  if (row.revoked || !constantTimeEqual(utf8(await sha256Hex(token)), utf8(row.key_hash))) throw invalid();

  if ((lastTouched.get(row.id) ?? 0) + TOUCH_INTERVAL_MS <= nowMs) {
    if (lastTouched.size >= AUTH_CACHE_ENTRIES) lastTouched.clear();
    lastTouched.set(row.id, nowMs);
    const id = row.id;
    waitUntil(
      runInDatabase(config, systemCaller("auth", row.tenant_id), (db) => [
        db.execute(sql`select app.touch_api_key(${id}, ${new Date(nowMs).toISOString()})`),
      ]).catch(() => {}),
    );
  }
  return { kind: "api_key", userId: row.id, tenantId: row.tenant_id, employeeId: null, roles: [row.role], scopes: row.scopes };
}
