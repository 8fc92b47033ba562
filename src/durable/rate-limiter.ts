import { DurableObject } from "cloudflare:workers";
import { constantTimeEqual } from "../kernel/bytes";

/**
 * One object per limited key (`user:…`, `ip:…`, `login-account:…`, `login-ip:…`, `apikey:…`), backed by
 * SQLite. A Durable Object runs one call at a time and every method here is synchronous SQL, so each check-and-
 * count is atomic however many requests arrive at once. Callers pass the time (`nowMs`): the Worker's clock,
 * which tests control.
 *
 * Besides counters, the object of a user (`user:<id>`) keeps that user's session and permission versions, so
 * the Worker learns in the same call as the rate-limit check whether a token was revoked or roles changed.
 * Versions are never cleaned up; counters and login attempts are, by an alarm, once idle. The object of a
 * service key (`apikey:<prefix>`) also holds the SHA-256 of the key's current secret, so that one call verifies a
 * presented key and only then counts it: a known prefix alone cannot use up someone else's limit.
 */

export interface WindowLimit {
  windowSeconds: number;
  limit: number;
}

export interface Versions {
  sessionVersion: number;
  permissionVersion: number;
}

export interface HitResult extends Versions {
  allowed: boolean;
  /** The limit that is closest to being exhausted (or that refused the request). */
  limit: number;
  remaining: number;
  /** Seconds until that limit's window resets. */
  resetSeconds: number;
}

/**
 * How failed attempts are limited. `consecutive`: failures in a row lock the key for `lockSeconds`, a
 * success resets them (per submitted login identifier). `window`: failures within a fixed window, successes
 * do not count (per IP).
 */
export interface AttemptPolicy {
  mode: "consecutive" | "window";
  threshold: number;
  /** Lock length (consecutive) or window length (window). */
  seconds: number;
}

/**
 * A service key's request: `verified` (the presented hash is the one held; counted), `mismatch` (it is not;
 * nothing counted) or `unknown` (no hash held yet, or forgotten by a raised version; nothing counted).
 */
export type KeyHit = { outcome: "verified"; hit: HitResult } | { outcome: "mismatch" | "unknown"; sessionVersion: number };

export type AttemptStart = { allowed: true; attemptId: string } | { allowed: false; retryAfterSeconds: number };
export interface AttemptOutcome {
  failures: number;
  locked: boolean;
  retryAfterSeconds: number;
}

/** An attempt whose result never arrives (a Worker died mid-login) stops counting after this long. */
const ATTEMPT_RESERVATION_MS = 30_000;
/** Idle state is removed this long after its last window or lock ends. */
const CLEANUP_GRACE_MS = 60_000;

const SCHEMA = [
  "create table if not exists counters (window_seconds integer primary key, window_start integer not null, count integer not null)",
  "create table if not exists state (name text primary key, value integer not null)",
  "create table if not exists attempts (id text primary key, expires_at integer not null)",
  "create table if not exists secrets (name text primary key, value text not null)",
];

/** The object reads no bindings: it counts, and keeps versions. */
export class RateLimiter extends DurableObject<unknown> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
  }

  /** Runs a real statement against the object's SQLite storage (readiness probe). */
  async ping(): Promise<{ ok: true; storage: "sqlite" }> {
    const row = this.sql.exec<{ ok: number }>("select 1 as ok").one();
    if (row.ok !== 1) throw new Error("Durable Object storage returned an unexpected row");
    return { ok: true, storage: "sqlite" };
  }

  /** Counts one request against every limit, unless one of them is already exhausted (then counts nothing). */
  hit(limits: WindowLimit[], nowMs: number): HitResult {
    const windows = limits.map((l) => {
      const windowMs = l.windowSeconds * 1000;
      const windowStart = Math.floor(nowMs / windowMs) * windowMs;
      const row = this.sql
        .exec<{ window_start: number; count: number }>("select window_start, count from counters where window_seconds = ?", l.windowSeconds)
        .toArray()[0];
      const count = row && row.window_start === windowStart ? row.count : 0;
      return { ...l, windowStart, count, resetMs: windowStart + windowMs - nowMs };
    });
    const refusing = windows.filter((w) => w.count >= w.limit).sort((a, b) => b.resetMs - a.resetMs)[0];
    if (!refusing) {
      for (const w of windows) {
        this.sql.exec(
          "insert into counters (window_seconds, window_start, count) values (?, ?, ?) on conflict (window_seconds) do update set window_start = excluded.window_start, count = excluded.count",
          w.windowSeconds,
          w.windowStart,
          w.count + 1,
        );
        w.count += 1;
      }
      this.scheduleCleanup(Math.max(...windows.map((w) => w.windowStart + w.windowSeconds * 1000)));
    }
    const closest = refusing ?? [...windows].sort((a, b) => a.limit - a.count - (b.limit - b.count))[0]!;
    return {
      allowed: !refusing,
      limit: closest.limit,
      remaining: Math.max(0, closest.limit - closest.count),
      resetSeconds: Math.max(1, Math.ceil(closest.resetMs / 1000)),
      ...this.versions(),
    };
  }

  /**
   * For a service key: counts the request only if `keyHash` is the hash this object holds. `install`: Postgres
   * vouched for `keyHash` when the object's session version was `install.version`; it is held from now on if the
   * version is still that (a rotation or revocation in between raised it, and the stale hash is not taken).
   */
  hitKey(keyHash: string, limits: WindowLimit[], nowMs: number, install?: { version: number }): KeyHit {
    const sessionVersion = this.read("session_version");
    if (install && install.version === sessionVersion) {
      this.sql.exec(
        "insert into secrets (name, value) values ('key_hash', ?) on conflict (name) do update set value = excluded.value",
        keyHash,
      );
    }
    const held = this.sql.exec<{ value: string }>("select value from secrets where name = 'key_hash'").toArray()[0]?.value;
    if (held === undefined) return { outcome: "unknown", sessionVersion };
    const encode = (text: string) => new TextEncoder().encode(text);
    if (!constantTimeEqual(encode(held), encode(keyHash))) return { outcome: "mismatch", sessionVersion };
    return { outcome: "verified", hit: this.hit(limits, nowMs) };
  }

  /** Current counts per window (operations and the bench's round-trip count). */
  counts(nowMs: number): { windowSeconds: number; count: number }[] {
    return this.sql
      .exec<{ window_seconds: number; window_start: number; count: number }>(
        "select window_seconds, window_start, count from counters order by window_seconds",
      )
      .toArray()
      .filter((row) => row.window_start + row.window_seconds * 1000 > nowMs)
      .map((row) => ({ windowSeconds: row.window_seconds, count: row.count }));
  }

  versions(): Versions {
    return { sessionVersion: this.read("session_version"), permissionVersion: this.read("permission_version") };
  }

  /**
   * Raises the given versions to at least the requested value and always above the current one (two changes
   * in the same millisecond still differ). Never lowers them: revocation is one-way. A raised session version
   * also forgets a service key's hash: the next request is checked against Postgres again.
   */
  raiseVersions(raise: Partial<Versions>): Versions {
    if (raise.sessionVersion !== undefined) {
      this.write("session_version", Math.max(this.read("session_version") + 1, raise.sessionVersion));
      this.sql.exec("delete from secrets");
    }
    if (raise.permissionVersion !== undefined)
      this.write("permission_version", Math.max(this.read("permission_version") + 1, raise.permissionVersion));
    return this.versions();
  }

  /**
   * Reserves one attempt before the caller checks a password. Reservations count like failures until they
   * finish, so N concurrent attempts can never get past a threshold of fewer than N.
   */
  beginAttempt(policy: AttemptPolicy, nowMs: number): AttemptStart {
    this.sql.exec("delete from attempts where expires_at <= ?", nowMs);
    this.expire(policy, nowMs);
    const lockedUntil = this.read("locked_until");
    if (lockedUntil > nowMs) return { allowed: false, retryAfterSeconds: Math.ceil((lockedUntil - nowMs) / 1000) };
    const pending = this.sql.exec<{ n: number }>("select count(*) as n from attempts").one().n;
    if (this.read("failures") + pending >= policy.threshold) {
      const until = policy.mode === "window" ? this.read("window_start") + policy.seconds * 1000 : nowMs + ATTEMPT_RESERVATION_MS;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)) };
    }
    const attemptId = crypto.randomUUID();
    this.sql.exec("insert into attempts (id, expires_at) values (?, ?)", attemptId, nowMs + ATTEMPT_RESERVATION_MS);
    this.scheduleCleanup(nowMs + ATTEMPT_RESERVATION_MS);
    return { allowed: true, attemptId };
  }

  /** Records how a reserved attempt ended. */
  finishAttempt(attemptId: string, succeeded: boolean, policy: AttemptPolicy, nowMs: number): AttemptOutcome {
    this.sql.exec("delete from attempts where id = ?", attemptId);
    this.expire(policy, nowMs);
    if (succeeded) {
      if (policy.mode === "consecutive") this.write("failures", 0);
      return { failures: this.read("failures"), locked: false, retryAfterSeconds: 0 };
    }
    if (policy.mode === "window" && this.read("failures") === 0) this.write("window_start", nowMs);
    const failures = this.read("failures") + 1;
    this.write("failures", failures);
    let lockedUntil = 0;
    if (policy.mode === "consecutive" && failures >= policy.threshold) {
      lockedUntil = nowMs + policy.seconds * 1000;
      this.write("locked_until", lockedUntil);
    }
    const windowEnd = this.read("window_start") + policy.seconds * 1000;
    this.scheduleCleanup(policy.mode === "consecutive" ? Math.max(lockedUntil, nowMs + policy.seconds * 1000) : windowEnd);
    return {
      failures,
      locked: lockedUntil > nowMs,
      retryAfterSeconds: lockedUntil > nowMs ? Math.ceil((lockedUntil - nowMs) / 1000) : 0,
    };
  }

  /** Drops a reservation without counting it (the other limit refused the attempt first). */
  cancelAttempt(attemptId: string): void {
    this.sql.exec("delete from attempts where id = ?", attemptId);
  }

  /** Ends a lockout and forgets the failures (System Admin unlock). */
  unlock(): void {
    this.write("failures", 0);
    this.write("locked_until", 0);
    this.sql.exec("delete from attempts");
  }

  /** Removes idle counters and attempt state; versions stay. */
  override async alarm(): Promise<void> {
    const now = Math.max(Date.now(), this.read("last_cleanup_target"));
    this.sql.exec("delete from attempts where expires_at <= ?", now);
    for (const row of this.sql
      .exec<{ window_seconds: number; window_start: number }>("select window_seconds, window_start from counters")
      .toArray()) {
      if (row.window_start + row.window_seconds * 1000 <= now)
        this.sql.exec("delete from counters where window_seconds = ?", row.window_seconds);
    }
    if (this.read("locked_until") <= now && this.sql.exec<{ n: number }>("select count(*) as n from attempts").one().n === 0) {
      this.sql.exec("delete from state where name in ('failures', 'locked_until', 'window_start')");
    }
    this.sql.exec("delete from state where name = 'last_cleanup_target'");
  }

  /** A lock that has run out, or a failure window that has passed, starts over. */
  private expire(policy: AttemptPolicy, nowMs: number): void {
    const lockedUntil = this.read("locked_until");
    if (policy.mode === "consecutive" && lockedUntil > 0 && lockedUntil <= nowMs) {
      this.write("locked_until", 0);
      this.write("failures", 0);
    }
    if (policy.mode === "window" && this.read("failures") > 0 && this.read("window_start") + policy.seconds * 1000 <= nowMs) {
      this.write("failures", 0);
    }
  }

  private scheduleCleanup(targetMs: number): void {
    if (targetMs <= this.read("last_cleanup_target")) return;
    this.write("last_cleanup_target", targetMs);
    // The alarm runs on the real clock; the grace keeps it after any window a (possibly test-controlled) caller used.
    void this.ctx.storage.setAlarm(Math.max(Date.now(), targetMs) + CLEANUP_GRACE_MS);
  }

  private read(name: string): number {
    return this.sql.exec<{ value: number }>("select value from state where name = ?", name).toArray()[0]?.value ?? 0;
  }

  private write(name: string, value: number): void {
    this.sql.exec("insert into state (name, value) values (?, ?) on conflict (name) do update set value = excluded.value", name, value);
  }
}
