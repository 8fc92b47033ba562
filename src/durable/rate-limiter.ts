import { DurableObject } from "cloudflare:workers";
import { constantTimeEqual } from "../kernel/bytes";

/**
 * One object per limited key (`user:…`, `ip:…`, `login-account:…`, `login-ip:…`, `apikey:…`), backed by
 * SQLite. A Durable Object runs one call at a time and every method here is synchronous SQL, so each check-and-
 * count is atomic however many requests arrive at once. Callers pass the time (`nowMs`): the Worker's clock,
 * which tests control.
 *
 * Request counts live in the object's memory, exact while it lives (one call at a time). They are written to SQLite
 * at most once per COUNTER_PERSIST_MS of the callers' clock, and by the alarm a second after the last count: an
 * object evicted once idle keeps them all, and a restart mid-stream loses at most the counts of that last interval
 * (docs/security.md, "Rate limits"). Everything else is written on every change: login attempts and locks,
 * versions and key hashes.
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
/**
 * Request counts are written at most this often (the callers' clock): one durable write a second per busy key
 * instead of one per request. Whatever a restart loses is within one such interval.
 */
export const COUNTER_PERSIST_MS = 1_000;
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
  /** Window length (s) → the current window's start and count; the authority while this instance lives. */
  private readonly windows = new Map<number, { windowStart: number; count: number }>();
  /** When (callers' clock) the counts were last written; and whether some were counted since. */
  private persistedAt = Number.NEGATIVE_INFINITY;
  private unpersisted = false;
  /** The alarm is set for a flush (in memory: after a restart the next alarm is taken for a cleanup). */
  private flushArmed = false;
  /** The latest window end a cleanup is set for (state `last_cleanup_target`, read once). */
  private cleanupTarget: number | undefined;
  private held: Versions;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    for (const row of this.sql.exec<{ window_seconds: number; window_start: number; count: number }>("select * from counters")) {
      this.windows.set(row.window_seconds, { windowStart: row.window_start, count: row.count });
    }
    this.held = { sessionVersion: this.read("session_version"), permissionVersion: this.read("permission_version") };
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
      const held = this.windows.get(l.windowSeconds);
      const count = held && held.windowStart === windowStart ? held.count : 0;
      return { ...l, windowStart, count, resetMs: windowStart + windowMs - nowMs };
    });
    const refusing = windows.filter((w) => w.count >= w.limit).sort((a, b) => b.resetMs - a.resetMs)[0];
    if (!refusing) {
      for (const w of windows) {
        w.count += 1;
        this.windows.set(w.windowSeconds, { windowStart: w.windowStart, count: w.count });
      }
      this.unpersisted = true;
      this.scheduleCleanup(Math.max(...windows.map((w) => w.windowStart + w.windowSeconds * 1000)));
    }
    // A refusal writes what is due too. A clock behind the last write (another isolate's) writes: the interval
    // is never stretched.
    if (this.unpersisted && (nowMs - this.persistedAt >= COUNTER_PERSIST_MS || nowMs < this.persistedAt)) this.persistCounts(nowMs);
    else if (this.unpersisted) this.armFlush();
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
    const { sessionVersion } = this.held;
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
    return [...this.windows]
      .filter(([windowSeconds, w]) => w.windowStart + windowSeconds * 1000 > nowMs)
      .sort(([a], [b]) => a - b)
      .map(([windowSeconds, w]) => ({ windowSeconds, count: w.count }));
  }

  versions(): Versions {
    return { ...this.held };
  }

  private persistCounts(nowMs: number): void {
    this.persistedAt = nowMs;
    this.writeCounts();
  }

  /** Writes the counts held in memory. */
  private writeCounts(): void {
    this.unpersisted = false;
    for (const [windowSeconds, w] of this.windows) {
      this.sql.exec(
        "insert into counters (window_seconds, window_start, count) values (?, ?, ?) on conflict (window_seconds) do update set window_start = excluded.window_start, count = excluded.count",
        windowSeconds,
        w.windowStart,
        w.count,
      );
    }
  }

  /**
   * Raises the given versions to at least the requested value and always above the current one (two changes
   * in the same millisecond still differ). Never lowers them: revocation is one-way. A raised session version
   * also forgets a service key's hash: the next request is checked against Postgres again.
   */
  raiseVersions(raise: Partial<Versions>): Versions {
    if (raise.sessionVersion !== undefined) {
      this.held.sessionVersion = Math.max(this.held.sessionVersion + 1, raise.sessionVersion);
      this.write("session_version", this.held.sessionVersion);
      this.sql.exec("delete from secrets");
    }
    if (raise.permissionVersion !== undefined) {
      this.held.permissionVersion = Math.max(this.held.permissionVersion + 1, raise.permissionVersion);
      this.write("permission_version", this.held.permissionVersion);
    }
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

  /**
   * The one alarm, for two jobs. A flush: counts held in memory are written a second after they were counted, so an
   * object that goes idle (and is evicted) keeps them. A cleanup: counters and attempt state whose windows and locks
   * are over (by the real clock) are removed; versions stay. A flush that comes before the cleanup is due sets the
   * alarm again for it. After a restart the object cannot tell a flush alarm from a cleanup one, and cleans: that
   * removes only what is over, and the alarm is set again for the cleanup still due.
   */
  override async alarm(): Promise<void> {
    if (this.unpersisted) this.writeCounts();
    const cleanupAt = this.read("cleanup_at");
    const flushOnly = this.flushArmed;
    this.flushArmed = false;
    const now = Date.now();
    if (!flushOnly || now >= cleanupAt) {
      this.sql.exec("delete from attempts where expires_at <= ?", now);
      for (const [windowSeconds, w] of this.windows) {
        if (w.windowStart + windowSeconds * 1000 > now) continue;
        this.windows.delete(windowSeconds);
        this.sql.exec("delete from counters where window_seconds = ?", windowSeconds);
      }
      if (this.read("locked_until") <= now && this.sql.exec<{ n: number }>("select count(*) as n from attempts").one().n === 0) {
        this.sql.exec("delete from state where name in ('failures', 'locked_until', 'window_start')");
      }
    }
    if (now < cleanupAt) await this.ctx.storage.setAlarm(cleanupAt);
    else {
      this.sql.exec("delete from state where name in ('last_cleanup_target', 'cleanup_at')");
      this.cleanupTarget = 0;
    }
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
    this.cleanupTarget ??= this.read("last_cleanup_target");
    if (targetMs <= this.cleanupTarget) return;
    this.cleanupTarget = targetMs;
    this.write("last_cleanup_target", targetMs);
    // The alarm runs on the real clock; the grace keeps it after any window a (possibly test-controlled) caller used.
    const cleanupAt = Math.max(Date.now(), targetMs) + CLEANUP_GRACE_MS;
    this.write("cleanup_at", cleanupAt);
    if (!this.flushArmed) void this.ctx.storage.setAlarm(cleanupAt);
  }

  /** Counts held in memory only are written by the alarm a second from now at the latest (see `alarm`). */
  private armFlush(): void {
    if (this.flushArmed) return;
    this.flushArmed = true;
    void this.ctx.storage.setAlarm(Date.now() + COUNTER_PERSIST_MS);
  }

  private read(name: string): number {
    return this.sql.exec<{ value: number }>("select value from state where name = ?", name).toArray()[0]?.value ?? 0;
  }

  private write(name: string, value: number): void {
    this.sql.exec("insert into state (name, value) values (?, ?) on conflict (name) do update set value = excluded.value", name, value);
  }
}
