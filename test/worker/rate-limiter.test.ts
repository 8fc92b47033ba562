import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { type AttemptPolicy, COUNTER_PERSIST_MS, type RateLimiter } from "../../src/durable/rate-limiter";
import { resetEdgeState, testEnv } from "../support/worker/harness";

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const MINUTE = 60_000;
const limiter = (name: string) => testEnv.RATE_LIMITER.get(testEnv.RATE_LIMITER.idFromName(name));
const storedCount = (name: string, windowSeconds: number) =>
  runInDurableObject(
    limiter(name),
    (_: RateLimiter, state) =>
      state.storage.sql.exec<{ count: number }>("select count from counters where window_seconds = ?", windowSeconds).toArray()[0]?.count ??
      0,
  );

const ACCOUNT: AttemptPolicy = { mode: "consecutive", threshold: 5, seconds: 15 * 60 };
async function attemptFailure(name: string, now: number) {
  const start = await limiter(name).beginAttempt(ACCOUNT, now);
  if (!start.allowed) throw new Error(`${name}: attempt refused`);
  return limiter(name).finishAttempt(start.attemptId, false, ACCOUNT, now);
}
const IP: AttemptPolicy = { mode: "window", threshold: 5, seconds: 15 * 60 };

beforeEach(() => resetEdgeState());

describe("request limits", () => {
  it("200 concurrent requests against a limit of 100: exactly 100 pass, and the object writes 100 within a second", async () => {
    const stub = limiter("user:concurrency");
    const results = await Promise.all(Array.from({ length: 200 }, () => stub.hit([{ windowSeconds: 60, limit: 100 }], T0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.resetSeconds > 0)).toBe(true);
    expect(await stub.counts(T0)).toEqual([{ windowSeconds: 60, count: 100 }]);
    // Counted in memory; written once the interval has passed, by the next request (a refusal too) or the alarm.
    expect((await stub.hit([{ windowSeconds: 60, limit: 100 }], T0 + COUNTER_PERSIST_MS)).allowed).toBe(false);
    expect(await storedCount("user:concurrency", 60)).toBe(100);
  });

  it("counts are written once an interval and by the alarm after; a restart loses at most one interval's counts", async () => {
    const name = "user:restart";
    const stub = () => limiter(name);
    const limits = [
      { windowSeconds: 60, limit: 1_000 },
      { windowSeconds: 3600, limit: 10_000 },
    ];
    // An hour ahead of the real clock, on the hour: no window of this test ends (in real time) while it runs.
    const T = Math.ceil((Date.now() + 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE;
    const stored = (state: DurableObjectState) =>
      state.storage.sql.exec<{ count: number }>("select count from counters where window_seconds = 60").toArray()[0]?.count ?? 0;

    // Ten requests within one interval, in one turn of the object (no alarm in between): one write, by the first.
    const [inMemory, written] = await runInDurableObject(stub(), (instance: RateLimiter, state) => {
      for (let i = 0; i < 10; i++) instance.hit(limits, T + i * 50);
      return [instance.counts(T + 500)[0]!.count, stored(state)];
    });
    expect({ inMemory, written }).toEqual({ inMemory: 10, written: 1 });
    // The flush alarm writes the rest: an object evicted once idle keeps every count.
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    await evictDurableObject(stub());
    expect(await stub().counts(T + 500)).toEqual([
      { windowSeconds: 60, count: 10 },
      { windowSeconds: 3600, count: 10 },
    ]);

    // A restart before the alarm loses what the last interval counted, no more: 11 were written, 4 only counted.
    await runInDurableObject(stub(), (instance: RateLimiter) => {
      for (let i = 0; i < 5; i++) instance.hit(limits, T + 1_000 + i * 50);
    });
    await evictDurableObject(stub());
    const [minute] = await stub().counts(T + 1_500);
    expect(minute!.count).toBeGreaterThanOrEqual(11); // 15 if the alarm came first on a slow machine
    expect(minute!.count).toBeLessThanOrEqual(15);
  });

  it("versions, login attempts and locks are written at once: a restart loses none of them", async () => {
    const name = "login-account:restart";
    await limiter("user:restart-versions").raiseVersions({ sessionVersion: 4, permissionVersion: 2 });
    for (let i = 0; i < 5; i++) await attemptFailure(name, T0);
    await evictDurableObject(limiter("user:restart-versions"));
    await evictDurableObject(limiter(name));
    expect(await limiter("user:restart-versions").versions()).toEqual({ sessionVersion: 4, permissionVersion: 2 });
    expect(await limiter(name).beginAttempt(ACCOUNT, T0 + 1_000)).toEqual({ allowed: false, retryAfterSeconds: 15 * 60 - 1 });
  });

  it("counts against every window and is refused by the tightest, which does not count the refusal", async () => {
    const stub = limiter("user:two-windows");
    const limits = [
      { windowSeconds: 60, limit: 3 },
      { windowSeconds: 3600, limit: 5 },
    ];
    const minute1 = [];
    for (let i = 0; i < 4; i++) minute1.push(await stub.hit(limits, T0 + i));
    expect(minute1.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(minute1[3]).toMatchObject({ limit: 3, remaining: 0, resetSeconds: 60 });
    const minute2 = [];
    for (let i = 0; i < 3; i++) minute2.push(await stub.hit(limits, T0 + MINUTE + i));
    expect(minute2.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(minute2[2]).toMatchObject({ limit: 5, remaining: 0 });
    expect(await stub.counts(T0 + MINUTE + 2)).toEqual([
      { windowSeconds: 60, count: 2 },
      { windowSeconds: 3600, count: 5 },
    ]);
    expect((await stub.hit(limits, T0 + 60 * MINUTE)).allowed).toBe(true);
  });

  it("reports the remaining allowance of the closest limit", async () => {
    const first = await limiter("ip:headers").hit([{ windowSeconds: 60, limit: 10 }], T0 + 15_000);
    expect(first).toMatchObject({ allowed: true, limit: 10, remaining: 9, resetSeconds: 45 });
  });
});

describe("versions", () => {
  it("start at 0, only ever rise (each raise at least by one), and come back with every hit", async () => {
    const stub = limiter("user:versions");
    expect(await stub.versions()).toEqual({ sessionVersion: 0, permissionVersion: 0 });
    expect(await stub.raiseVersions({ sessionVersion: 5 })).toEqual({ sessionVersion: 5, permissionVersion: 0 });
    expect(await stub.raiseVersions({ sessionVersion: 3, permissionVersion: 2 })).toEqual({ sessionVersion: 6, permissionVersion: 2 });
    expect(await stub.raiseVersions({ permissionVersion: 2 })).toEqual({ sessionVersion: 6, permissionVersion: 3 });
    expect(await stub.hit([{ windowSeconds: 60, limit: 10 }], T0)).toMatchObject({ sessionVersion: 6, permissionVersion: 3 });
  });
});

describe("login attempts", () => {
  async function attempt(name: string, policy: AttemptPolicy, succeeded: boolean, now: number) {
    const stub = limiter(name);
    const start = await stub.beginAttempt(policy, now);
    if (!start.allowed) return { refused: true as const, retryAfterSeconds: start.retryAfterSeconds };
    await new Promise((r) => setTimeout(r, 5)); // the password check happens between the two calls
    return { refused: false as const, ...(await stub.finishAttempt(start.attemptId, succeeded, policy, now)) };
  }

  it("20 concurrent failures for one identifier: exactly 5 count, 15 are refused, and the key is locked", async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => attempt("login-account:acme:x", ACCOUNT, false, T0)));
    expect(outcomes.filter((o) => !o.refused)).toHaveLength(5);
    expect(outcomes.filter((o) => o.refused)).toHaveLength(15);
    const failures = await runInDurableObject(
      limiter("login-account:acme:x"),
      (_: RateLimiter, state) => state.storage.sql.exec<{ value: number }>("select value from state where name = 'failures'").one().value,
    );
    expect(failures).toBe(5);
    const later = await limiter("login-account:acme:x").beginAttempt(ACCOUNT, T0 + 1_000);
    expect(later).toEqual({ allowed: false, retryAfterSeconds: 15 * 60 - 1 });
  });

  it("a lock refuses even a correct password until it ends, then a success resets the count", async () => {
    for (let i = 0; i < 5; i++) await attempt("login-account:lock", ACCOUNT, false, T0);
    expect(await attempt("login-account:lock", ACCOUNT, true, T0 + 14 * MINUTE)).toMatchObject({ refused: true });
    expect(await attempt("login-account:lock", ACCOUNT, true, T0 + 15 * MINUTE)).toMatchObject({ refused: false, failures: 0 });
    for (let i = 0; i < 4; i++) await attempt("login-account:lock", ACCOUNT, false, T0 + 16 * MINUTE);
    expect(await attempt("login-account:lock", ACCOUNT, true, T0 + 16 * MINUTE)).toMatchObject({ refused: false, failures: 0 });
    expect(await attempt("login-account:lock", ACCOUNT, false, T0 + 16 * MINUTE)).toMatchObject({
      refused: false,
      failures: 1,
      locked: false,
    });
  });

  it("unlock ends a lock at once", async () => {
    for (let i = 0; i < 5; i++) await attempt("login-account:unlock", ACCOUNT, false, T0);
    await limiter("login-account:unlock").unlock();
    expect(await attempt("login-account:unlock", ACCOUNT, true, T0 + 1)).toMatchObject({ refused: false });
  });

  it("per IP: successes do not count, 5 failures in the window refuse until the window ends", async () => {
    for (let i = 0; i < 10; i++) expect(await attempt("login-ip:1.2.3.4", IP, true, T0 + i)).toMatchObject({ refused: false });
    for (let i = 0; i < 5; i++) await attempt("login-ip:1.2.3.4", IP, false, T0 + MINUTE);
    const refused = await attempt("login-ip:1.2.3.4", IP, true, T0 + 2 * MINUTE);
    expect(refused).toEqual({ refused: true, retryAfterSeconds: 14 * 60 });
    expect(await attempt("login-ip:1.2.3.4", IP, true, T0 + 16 * MINUTE)).toMatchObject({ refused: false });
  });

  it("an attempt that never finishes stops counting after its reservation", async () => {
    const stub = limiter("login-account:abandoned");
    for (let i = 0; i < 5; i++) expect((await stub.beginAttempt(ACCOUNT, T0)).allowed).toBe(true);
    expect((await stub.beginAttempt(ACCOUNT, T0)).allowed).toBe(false);
    expect((await stub.beginAttempt(ACCOUNT, T0 + 31_000)).allowed).toBe(true);
  });
});

describe("cleanup", () => {
  it("the alarm removes idle counters and attempts but keeps versions", async () => {
    const stub = limiter("user:cleanup");
    const past = Date.now() - 2 * 60 * MINUTE;
    await stub.hit([{ windowSeconds: 60, limit: 10 }], past);
    await stub.raiseVersions({ sessionVersion: 7 });
    expect(await storedCount("user:cleanup", 60)).toBe(1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedCount("user:cleanup", 60)).toBe(0);
    expect(await stub.versions()).toEqual({ sessionVersion: 7, permissionVersion: 0 });
  });
});
