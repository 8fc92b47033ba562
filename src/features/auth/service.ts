import { sql } from "drizzle-orm";
import { type AttemptStart, behindRaisedVersions, failuresOf, limiterFor, loginPolicies, raiseAfterCommit } from "../../auth/limiter";
import { userCaller } from "../../auth/principal";
import { randomToken, sha256Hex, verifyPassword, verifyPin } from "../../auth/secrets";
import { noteSignInPlace, raiseSignal, recordSignal } from "../../auth/security-signals";
import { signAccessToken } from "../../auth/tokens";
import { systemCaller } from "../../db/claims";
import { runInDatabase } from "../../db/door";
import { AUDIT_COLUMNS, auditAsSystem, auditAsUser, auditValues, type RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS, SWITCHED_OFF_RETRY_AFTER_SECONDS } from "../../kernel/constants";
import type { Principal } from "../../kernel/context";
import type { Env } from "../../kernel/env";
import { AppError } from "../../kernel/errors";
import { FLAGS, isOn } from "../../kernel/flags";
import type { TokenPair } from "./schemas";

const REFRESH_PREFIX = "llr_";
const INVALID_CREDENTIALS = () => new AppError("UNAUTHORIZED", "Invalid credentials");
const INVALID_REFRESH = () => new AppError("UNAUTHORIZED", "Invalid or expired refresh token");

type Candidate = { user_id: string; tenant_id: string; status: string; secret_hash: string | null; session_version: string | number };

export type LoginInput =
  | { kind: "password"; tenant: string; email: string; password: string }
  | { kind: "pin"; tenant: string; employeeNumber: string; pin: string };

function refused(start: AttemptStart): number {
  return start.allowed ? 0 : start.retryAfterSeconds;
}

/**
 * Login: per-IP and per-identifier attempts are reserved in their Durable Objects first (so concurrent
 * guesses cannot overshoot the limits), then the secret is checked — against a dummy hash when there is no
 * such user, so every failure costs and answers the same. Fails closed (503) if the limiter is unreachable.
 */
export async function login(config: Config, env: Env, facts: RequestFacts, input: LoginInput): Promise<TokenPair> {
  if (input.kind === "pin" && (await isOn(env.FLAGS, FLAGS.pinLoginDisabled, { tenantSlug: input.tenant }, facts.now))) {
    throw new AppError(
      "SERVICE_UNAVAILABLE",
      "Sign-in by PIN is switched off; sign in with a password",
      { reason: "pin sign-in switched off" },
      { headers: { "Retry-After": String(SWITCHED_OFF_RETRY_AFTER_SECONDS) } },
    );
  }
  const identifier = input.kind === "password" ? input.email.toLowerCase() : `pin:${input.employeeNumber}`;
  const policies = loginPolicies(config);
  const ipLimiter = limiterFor(env, failuresOf(facts.ip));
  const accountLimiter = limiterFor(env, `login-account:${input.tenant}:${identifier}`);

  let ipStart: AttemptStart;
  let accountStart: AttemptStart;
  try {
    [ipStart, accountStart] = await Promise.all([
      ipLimiter.beginAttempt(policies.ip, facts.now),
      accountLimiter.beginAttempt(policies.account, facts.now),
    ]);
  } catch (error) {
    throw new AppError("SERVICE_UNAVAILABLE", "Login is unavailable; retry later", { dependency: "rate_limiter" }, { cause: error });
  }
  if (!ipStart.allowed || !accountStart.allowed) {
    if (ipStart.allowed) await ipLimiter.cancelAttempt(ipStart.attemptId);
    if (accountStart.allowed) await accountLimiter.cancelAttempt(accountStart.attemptId);
    if (!accountStart.allowed) {
      throw new AppError(
        "ACCOUNT_LOCKED",
        "Too many failed logins for this account; try again later",
        {},
        { headers: { "Retry-After": String(refused(accountStart)) } },
      );
    }
    throw new AppError(
      "RATE_LIMIT_EXCEEDED",
      "Too many failed logins from this address",
      {},
      { headers: { "Retry-After": String(refused(ipStart)) } },
    );
  }

  const [found] = await runInDatabase(
    config,
    systemCaller("login"),
    (db) => [
      input.kind === "password"
        ? db.execute<Candidate>(sql`select * from app.login_candidate(${input.tenant}, ${input.email})`)
        : db.execute<Candidate>(sql`select * from app.pin_candidate(${input.tenant}, ${input.employeeNumber})`),
    ],
    { readOnly: true },
  );
  const candidate = found.rows[0] ?? null;
  const secretOk =
    input.kind === "password"
      ? await verifyPassword(input.password, candidate?.secret_hash ?? null)
      : await verifyPin(input.pin, config.PIN_PEPPER, candidate?.secret_hash ?? null);
  const ok = secretOk && candidate !== null && candidate.status === "active";

  const [address, account] = await Promise.all([
    ipLimiter.finishAttempt(ipStart.attemptId, ok, policies.ip, facts.now),
    accountLimiter.finishAttempt(accountStart.attemptId, ok, policies.account, facts.now),
  ]);

  const base = { tenantId: candidate?.tenant_id ?? null, targetType: "user", targetId: candidate?.user_id ?? null };
  if (!ok || !candidate) {
    const addressBlocked = address.failures === policies.ip.threshold;
    const details = { method: input.kind, identifier_known: candidate !== null, failures: account.failures };
    await runInDatabase(config, systemCaller("login", candidate?.tenant_id), (db) => [
      auditAsSystem(db, facts, { ...base, actorType: "anonymous", actorId: null, action: "auth.login", success: false, details }),
      ...(account.locked
        ? [
            auditAsSystem(db, facts, {
              ...base,
              actorType: "system",
              actorId: "rate-limiter",
              action: "auth.lockout",
              success: true,
              details: { method: input.kind, lock_seconds: account.retryAfterSeconds },
            }),
          ]
        : []),
      // This failure reached the address's limit (its /64's): failed logins across accounts from one place.
      ...(addressBlocked
        ? [
            raiseSignal(db, facts, {
              kind: "login_failures_from_address",
              actorType: "anonymous",
              actorId: null,
              targetType: "address",
              targetId: null,
              data: {
                failures: address.failures,
                window_seconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
              },
            }),
          ]
        : []),
    ]);
    if (addressBlocked) recordSignal(env.METRICS, candidate?.tenant_id ?? null, "login_failures_from_address");
    throw INVALID_CREDENTIALS();
  }

  const userId = candidate.user_id;
  // A PIN opens a kiosk session: its own balances and requests only, whatever the user's roles.
  const kiosk = input.kind === "pin";
  const sessionVersion = await currentSessionVersion(env, userId, Number(candidate.session_version));
  const refreshToken = randomToken(REFRESH_PREFIX);
  const refreshHash = await sha256Hex(refreshToken);
  const [issued, , place] = await runInDatabase(config, systemCaller("login", candidate.tenant_id), (db) => [
    db.execute<{ issued: boolean }>(
      sql`select app.issue_refresh_token(${userId}, ${crypto.randomUUID()}, ${refreshHash}, ${iso(facts.now + REFRESH_TOKEN_TTL_SECONDS * 1000)}, ${candidate.session_version}, ${kiosk}) as issued`,
    ),
    auditAsSystem(db, facts, {
      ...base,
      actorType: "user",
      actorId: userId,
      action: "auth.login",
      success: true,
      details: { method: input.kind },
    }),
    noteSignInPlace(db, facts, { principalType: "user", principalId: userId, value: facts.country }),
  ]);
  const signal = place.rows[0]?.signal;
  if (signal) recordSignal(env.METRICS, candidate.tenant_id, signal);
  // The sessions ended (or the user was deactivated) while the secret was being checked: this one ends too.
  if (!issued.rows[0]?.issued) throw INVALID_CREDENTIALS();
  return tokenPair(
    await signAccessToken(config, { userId, tenantId: candidate.tenant_id, sessionVersion, kiosk }, facts.now),
    refreshToken,
  );
}

/** Tokens are issued under the highest session version either source knows (the Durable Object leads). */
async function currentSessionVersion(env: Env, userId: string, fromDatabase: number): Promise<number> {
  try {
    const versions = await limiterFor(env, `user:${userId}`).versions();
    return Math.max(fromDatabase, versions.sessionVersion);
  } catch (error) {
    throw new AppError("SERVICE_UNAVAILABLE", "Login is unavailable; retry later", { dependency: "rate_limiter" }, { cause: error });
  }
}

function tokenPair(accessToken: string, refreshToken: string): TokenPair {
  return {
    token_type: "Bearer",
    access_token: accessToken,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
    refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
  };
}

type Rotation = {
  outcome: string;
  user_id: string | null;
  tenant_id: string | null;
  family_id: string | null;
  session_version: string | number | null;
  kiosk: boolean | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Refresh: the presented token is used up and replaced. A token issued before the user's sessions ended is
 * refused; a token presented twice (stolen, or replayed) ends every session of the user.
 */
export async function refresh(config: Config, env: Env, facts: RequestFacts, presented: string): Promise<TokenPair> {
  if (!presented.startsWith(REFRESH_PREFIX)) throw INVALID_REFRESH();
  const next = randomToken(REFRESH_PREFIX);
  const [presentedHash, nextHash] = await Promise.all([sha256Hex(presented), sha256Hex(next)]);
  const [result] = await runInDatabase(config, systemCaller("auth"), (db) => [
    db.execute<Rotation>(
      sql`select * from app.rotate_refresh_token(${presentedHash}, ${nextHash}, ${iso(facts.now + REFRESH_TOKEN_TTL_SECONDS * 1000)}, ${iso(facts.now)})`,
    ),
  ]);
  const rotation = result.rows[0]!;
  const target = { tenantId: rotation.tenant_id, targetType: "user", targetId: rotation.user_id };
  if (rotation.outcome !== "rotated" || !rotation.user_id || !rotation.tenant_id) {
    try {
      if (rotation.outcome !== "unknown") {
        const action = rotation.outcome === "reused" ? "auth.refresh_reuse" : "auth.refresh";
        await runInDatabase(config, systemCaller("auth", rotation.tenant_id ?? undefined), (db) => [
          auditAsSystem(db, facts, {
            ...target,
            actorType: "anonymous",
            actorId: null,
            action,
            success: false,
            details: { outcome: rotation.outcome, family_id: rotation.family_id },
          }),
          ...(rotation.outcome === "reused"
            ? [
                raiseSignal(db, facts, {
                  kind: "refresh_token_reuse",
                  actorType: "anonymous",
                  actorId: null,
                  targetType: "user",
                  targetId: rotation.user_id,
                  data: { user_id: rotation.user_id },
                }),
              ]
            : []),
        ]);
        if (rotation.outcome === "reused") recordSignal(env.METRICS, rotation.tenant_id, "refresh_token_reuse");
      }
    } finally {
      // The sessions end in the Durable Object whatever became of the audit row and the signal.
      if (rotation.outcome === "reused" && rotation.user_id) {
        await raiseAfterCommit(env, `user:${rotation.user_id}`, ["sessionVersion"], facts.now);
      }
    }
    throw INVALID_REFRESH();
  }
  const userId = rotation.user_id;
  const sessionVersion = await currentSessionVersion(env, userId, Number(rotation.session_version));
  const accessToken = await signAccessToken(
    config,
    { userId, tenantId: rotation.tenant_id, sessionVersion, kiosk: rotation.kiosk === true },
    facts.now,
  );
  const [, place] = await runInDatabase(config, systemCaller("auth", rotation.tenant_id), (db) => [
    auditAsSystem(db, facts, {
      ...target,
      actorType: "user",
      actorId: userId,
      action: "auth.refresh",
      success: true,
      details: { family_id: rotation.family_id },
    }),
    // A refresh token carried off to another country shows there, at the latest when the access token expires.
    noteSignInPlace(db, facts, { principalType: "user", principalId: userId, value: facts.country }),
  ]);
  const signal = place.rows[0]?.signal;
  if (signal) recordSignal(env.METRICS, rotation.tenant_id, signal);
  return tokenPair(accessToken, next);
}

/** Logout: the refresh token's family ends. Answers the same whether or not the token was known. */
export async function logout(config: Config, facts: RequestFacts, presented: string): Promise<void> {
  if (!presented.startsWith(REFRESH_PREFIX)) return;
  const hash = await sha256Hex(presented);
  const [result] = await runInDatabase(config, systemCaller("auth"), (db) => [
    db.execute<{ user_id: string; tenant_id: string }>(sql`select * from app.revoke_refresh_family(${hash}, ${iso(facts.now)})`),
  ]);
  const ended = result.rows[0];
  if (ended) {
    await runInDatabase(config, systemCaller("auth", ended.tenant_id), (db) => [
      auditAsSystem(db, facts, {
        tenantId: ended.tenant_id,
        actorType: "user",
        actorId: ended.user_id,
        action: "auth.logout",
        targetType: "user",
        targetId: ended.user_id,
        success: true,
      }),
    ]);
  }
}

/**
 * Every session of the caller ends: refresh tokens revoked and the session version raised, in Postgres and
 * (before and after) in their Durable Object, so access tokens die on their very next request.
 */
export async function logoutAll(config: Config, env: Env, facts: RequestFacts, principal: Principal): Promise<void> {
  if (principal.kind !== "user") throw new AppError("FORBIDDEN", "API keys have no sessions; revoke the key instead");
  await behindRaisedVersions(env, `user:${principal.userId}`, ["sessionVersion"], facts.now, ({ sessionVersion }) =>
    runInDatabase(config, userCaller(principal), (db) => [
      db.execute(sql`select app.end_all_sessions(${principal.userId}, ${sessionVersion}, ${iso(facts.now)})`),
      auditAsUser(db, facts, principal, { action: "auth.logout_all", targetType: "user", targetId: principal.userId, success: true }),
    ]),
  );
}

/** System Admin ends a lockout of one login identifier (email, or employee number for PIN logins) of their tenant. */
export async function unlock(
  config: Config,
  env: Env,
  facts: RequestFacts,
  principal: Principal,
  identifier: { email?: string; employeeNumber?: string },
): Promise<void> {
  const [tenant] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [db.execute<{ slug: string }>(sql`select slug from tenants where id = ${principal.tenantId}`)],
    { readOnly: true },
  );
  const slug = tenant.rows[0]?.slug;
  if (!slug) throw new AppError("RESOURCE_NOT_FOUND", "No such tenant");
  const key = identifier.email ? identifier.email.toLowerCase() : `pin:${identifier.employeeNumber}`;
  try {
    await limiterFor(env, `login-account:${slug}:${key}`).unlock();
  } catch (error) {
    throw new AppError("SERVICE_UNAVAILABLE", "Unlock is unavailable; retry later", { dependency: "rate_limiter" }, { cause: error });
  }
  // The identifier is personal: it goes where erasure reaches it; the row names the user it unlocks, if any.
  const user = sql`(select u.id::text from users u left join employees e on e.user_id = u.id
    where u.tenant_id = ${principal.tenantId} and (lower(u.email) = ${key} or 'pin:' || e.employee_number = ${key}) limit 1)`;
  await runInDatabase(config, userCaller(principal), (db) => [
    db.execute(sql`insert into audit_log ${AUDIT_COLUMNS}
      select ${auditValues(facts, principal, { action: "auth.unlock", targetType: "user", targetId: user, personalDetails: { identifier: key } })}`),
  ]);
}
