import { sql } from "drizzle-orm";
import { type Caller, systemCaller, type UserClaims } from "../db/claims";
import { runInDatabase } from "../db/door";
import { KIOSK_SCOPES, type Role } from "../kernel/access";
import type { Config } from "../kernel/config";
import { AUTH_CACHE_ENTRIES, PERMISSION_CACHE_TTL_SECONDS } from "../kernel/constants";
import type { CacheOutcome, HeldDelegation, Principal } from "../kernel/context";
import { AppError } from "../kernel/errors";
import { ExpiringCache } from "../kernel/expiring-cache";
import { log } from "../kernel/logger";

type IdentityRow = {
  user_id: string;
  tenant_id: string;
  status: string;
  employee_id: string | null;
  roles: Role[];
  session_version: string | number;
  permission_version: string | number;
  delegations: HeldDelegation[];
};

/** KV keys (documented in docs/storage.md): `perm:<user id>:<permission version>`. */
export const permissionCacheKey = (userId: string, permissionVersion: number) => `perm:${userId}:${permissionVersion}`;

/**
 * The isolate's own copy, in front of KV. Entries are keyed by permission version like KV's: a role change
 * raises the version and the old entry is simply never asked for again.
 */
const memory = new ExpiringCache<Principal>(AUTH_CACHE_ENTRIES);

/** Tests reset isolate state between cases. */
export function forgetPrincipals(): void {
  memory.clear();
}

/** A kiosk (PIN) session of this user: whatever their roles, only what the kiosk scopes allow of them. */
export function kioskPrincipal(principal: Principal): Principal {
  return { ...principal, scopes: [...KIOSK_SCOPES] };
}

export function claimsFor(principal: Principal): UserClaims {
  return {
    caller: principal.kind,
    sub: principal.userId,
    tenant_id: principal.tenantId,
    employee_id: principal.employeeId,
    roles: principal.roles,
    scopes: principal.scopes,
    ...(principal.keyId ? { key_id: principal.keyId } : {}),
    ...(principal.actingFor?.length ? { acting_for: principal.actingFor } : {}),
  };
}

/**
 * The principal of one request at `nowMs`: a person's full session (not a kiosk's, not an API key) acts for the
 * managers whose delegations to them run at that instant.
 */
export function atRequestTime(principal: Principal, nowMs: number): Principal {
  if (principal.kind !== "user" || principal.scopes.length > 0 || !principal.delegations?.length) return principal;
  const actingFor = principal.delegations
    .filter((d) => Date.parse(d.starts_at) <= nowMs && nowMs < Date.parse(d.ends_at))
    .map((d) => d.delegator_id);
  return actingFor.length > 0 ? { ...principal, actingFor: [...new Set(actingFor)] } : principal;
}

export function userCaller(principal: Principal): Caller {
  return { kind: "user", claims: claimsFor(principal) };
}

async function loadFromDatabase(config: Config, userId: string, tenantId: string) {
  const [result] = await runInDatabase(
    config,
    systemCaller("auth", tenantId),
    (db) => [db.execute<IdentityRow>(sql`select * from app.identity(${userId}, ${tenantId})`)],
    { readOnly: true },
  );
  const row = result.rows[0];
  if (row?.status !== "active") return null;
  return {
    principal: {
      kind: "user",
      userId: row.user_id,
      tenantId: row.tenant_id,
      employeeId: row.employee_id,
      roles: row.roles,
      scopes: [],
      delegations: row.delegations,
    } satisfies Principal,
    sessionVersion: Number(row.session_version),
  };
}

/**
 * The principal for a verified identity. With `permissionVersion` (from the user's Durable Object) the KV
 * entry for exactly that version is used, so a role change (which raises the version) is seen on the very
 * next request although KV itself is only eventually consistent. Without it (the Durable Object could not be
 * reached) Postgres is asked directly, and the session version is checked against its copy.
 */
export async function loadPrincipal(
  config: Config,
  kv: KVNamespace,
  identity: { userId: string; tenantId: string; sessionVersion: number },
  permissionVersion: number | null,
  waitUntil: (promise: Promise<unknown>) => void,
  nowMs: number,
): Promise<{ principal: Principal; cache: CacheOutcome }> {
  const revoked = () => new AppError("UNAUTHORIZED", "Invalid or expired token", { reason: "session ended" });
  const key = permissionVersion === null ? null : permissionCacheKey(identity.userId, permissionVersion);
  if (key) {
    const local = memory.get(key, nowMs);
    if (local && local.tenantId === identity.tenantId) return { principal: local, cache: "memory" };
    try {
      const cached = await kv.get<Principal>(key, "json");
      if (cached && cached.tenantId === identity.tenantId) {
        memory.set(key, cached, nowMs);
        return { principal: cached, cache: "kv" };
      }
    } catch (error) {
      log("warn", "permission_cache_unavailable", { error: (error as Error).message });
    }
  }
  const loaded = await loadFromDatabase(config, identity.userId, identity.tenantId);
  if (!loaded) throw revoked();
  if (identity.sessionVersion < loaded.sessionVersion) throw revoked();
  if (key) {
    memory.set(key, loaded.principal, nowMs);
    waitUntil(
      kv.put(key, JSON.stringify(loaded.principal), { expirationTtl: PERMISSION_CACHE_TTL_SECONDS }).catch((error: unknown) => {
        log("warn", "permission_cache_unavailable", { error: (error as Error).message });
      }),
    );
    return { principal: loaded.principal, cache: "miss" };
  }
  return { principal: loaded.principal, cache: "bypass" };
}
