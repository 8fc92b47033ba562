import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { ACME, DEMO_PASSWORD } from "../../scripts/lib/seed-data";
import { createApp } from "../../src/app";
import { systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { classifyDbError } from "../../src/db/errors";
import { users } from "../../src/db/schema";
import { DB_RETRY_DELAYS_MS } from "../../src/kernel/constants";
import { AppError } from "../../src/kernel/errors";
import { as, dbConfig, people, roundTrips } from "../support/worker/callers";
import {
  call,
  callApp,
  captureLogs,
  expectError,
  harbor,
  recordingMetrics,
  rejectionOf,
  resetDatabase,
  superuserSql,
} from "../support/worker/harness";

beforeEach(() => resetDatabase());

describe("the database door", () => {
  it("runs a user's work as the app role with exactly the claims given", async () => {
    const [row] = await runInDatabase(dbConfig(), as.emma, (db) => [
      db.execute<{ role: string; login: string; claims: Record<string, unknown> }>(
        sql`select current_user as role, session_user as login, app.claims() as claims`,
      ),
    ]);
    expect(row.rows[0]).toEqual({
      role: "leave_ledger_app",
      login: "leave_ledger_authenticator",
      claims: {
        caller: "user",
        sub: people.emma.userId,
        tenant_id: ACME.id,
        employee_id: people.emma.employeeId,
        roles: ["employee"],
        exp: expect.any(Number),
      },
    });
  });

  it("runs a system caller as the system role with a named caller and no user", async () => {
    const [row] = await runInDatabase(dbConfig(), systemCaller("tenant-directory"), (db) => [
      db.execute<{ role: string; claims: Record<string, unknown> }>(
        sql`select current_user as role, current_setting('request.jwt.claims') ::jsonb as claims`,
      ),
    ]);
    expect(row.rows[0]).toEqual({
      role: "leave_ledger_system",
      claims: { caller: "system:tenant-directory", sub: null, tenant_id: null, employee_id: null, roles: [], exp: expect.any(Number) },
    });
  });

  it("sends role, claims and every statement of the work in one round trip", async () => {
    const app = `door-${crypto.randomUUID()}`;
    const results = await runInDatabase(dbConfig(app), as.hana, (db) => [
      db.select().from(users),
      db.execute(sql`select count(*)::int as n from employees`),
      db.execute(sql`select 1`),
    ]);
    expect(results).toHaveLength(3);
    expect(results[0].length).toBe(ACME.people.length);
    expect(await roundTrips(app)).toBe(1);
  });

  it("an API call that reads the database costs exactly one round trip", async () => {
    const app = `api-${crypto.randomUUID()}`;
    const res = await callApp(createApp(), "/v1/tenants/acme", {}, { DATABASE_URL: dbConfig(app).DATABASE_URL });
    expect(res.status).toBe(200);
    expect(await roundTrips(app)).toBe(1);
  });

  it("claims do not outlive their transaction", async () => {
    await runInDatabase(dbConfig(), as.sam, (db) => [db.execute(sql`select 1`)]);
    const [after] = await runInDatabase(dbConfig(), systemCaller("health"), (db) => [
      db.execute<{ claims: string }>(sql`select current_setting('request.jwt.claims') as claims`),
    ]);
    expect(after.rows[0]!.claims).not.toContain(people.sam.userId);
  });

  it("rolls the whole batch back when one statement fails: nothing half-written", async () => {
    const before = await superuserSql()`select count(*)::int as n from users`;
    const error = await rejectionOf(
      runInDatabase(dbConfig(), as.hana, (db) => [
        db.insert(users).values({ tenantId: ACME.id, email: "new.person@acme.example", displayName: "New Person" }),
        db.insert(users).values({ tenantId: ACME.id, email: people.emma.email.toUpperCase(), displayName: "Duplicate" }),
      ]),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe("CONFLICT");
    const after = await superuserSql()`select count(*)::int as n from users`;
    expect(after).toEqual(before);
  });
});

describe("retries", () => {
  beforeEach(async () => {
    const su = superuserSql();
    await su.transaction([
      su.query("create schema if not exists test_support"),
      su.query("drop sequence if exists test_support.attempts"),
      su.query("create sequence test_support.attempts"),
      su.query(`create or replace function test_support.fail_first(n int) returns int language plpgsql as $$
        declare attempt int := nextval('test_support.attempts');
        begin
          if attempt <= n then raise exception 'simulated conflict %', attempt using errcode = '40001'; end if;
          return attempt;
        end $$`),
      su.query("grant usage on schema test_support to leave_ledger_app"),
      su.query("grant usage on sequence test_support.attempts to leave_ledger_app"),
      su.query("grant execute on function test_support.fail_first(int) to leave_ledger_app"),
    ]);
  });

  it("retries serialization failures with 100/200/400 ms backoff and then succeeds", async () => {
    const waits: number[] = [];
    const [result] = await runInDatabase(
      dbConfig(),
      as.emma,
      (db) => [db.execute<{ attempt: number }>(sql`select test_support.fail_first(3) as attempt`)],
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    expect(result.rows[0]!.attempt).toBe(4);
    expect(waits).toEqual([...DB_RETRY_DELAYS_MS]);
  });

  it("gives up after three retries with 503 SERVICE_UNAVAILABLE, and really waits between attempts", async () => {
    const started = Date.now();
    const error = await rejectionOf(runInDatabase(dbConfig(), as.emma, (db) => [db.execute(sql`select test_support.fail_first(100)`)]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(DB_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0));
    expect(error.code).toBe("SERVICE_UNAVAILABLE");
    const [{ attempts }] = (await superuserSql()`select last_value::int as attempts from test_support.attempts`) as [{ attempts: number }];
    expect(attempts).toBe(1 + DB_RETRY_DELAYS_MS.length);
  });

  it("an API call's metrics point and log line count its round trips and retries as the database saw them", async () => {
    const su = superuserSql();
    // Sign-in's write (its refresh token) meets one transient conflict, which the door retries.
    await su.transaction([
      su.query(`create or replace function test_support.conflict_once() returns trigger language plpgsql security definer as $$
        begin perform test_support.fail_first(1); return new; end $$`),
      su.query("create trigger conflict_once before insert on refresh_tokens for each row execute function test_support.conflict_once()"),
    ]);
    try {
      const app = `tally-${crypto.randomUUID()}`;
      const { points, METRICS } = recordingMetrics();
      let res!: Response;
      const logs = await captureLogs(async () => {
        res = await callApp(
          createApp(),
          "/v1/auth/login",
          {
            method: "POST",
            headers: { "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.10" },
            body: JSON.stringify({ tenant: "acme", email: people.emma.email, password: DEMO_PASSWORD }),
          },
          { DATABASE_URL: dbConfig(app).DATABASE_URL, METRICS },
        );
      });
      expect(res.status).toBe(200);
      const seen = await roundTrips(app);
      expect(seen).toBeGreaterThanOrEqual(3);
      expect(points.map((p) => p.doubles!.slice(2))).toEqual([[seen, 1]]);
      expect(logs.find((l) => l.event === "request")).toMatchObject({ db_round_trips: seen, db_retries: 1 });
    } finally {
      await su`drop trigger if exists conflict_once on refresh_tokens`;
    }
  });

  it("does not retry other errors", async () => {
    const waits: number[] = [];
    const error = await rejectionOf(
      runInDatabase(dbConfig(), as.emma, (db) => [db.execute(sql`select 1/0`)], { sleep: async (ms) => void waits.push(ms) }),
    );
    expect(error.code).toBe("DATABASE_ERROR");
    expect(waits).toEqual([]);
  });
});

describe("error classification", () => {
  it.each([
    [{ code: "40001" }, "retryable"],
    [{ code: "40P01" }, "retryable"],
    [{ code: "23505" }, "constraint"],
    [{ code: "23503" }, "constraint"],
    [{ code: "42501" }, "permission"],
    [{ code: "P0002" }, "not_found"],
    [{ code: "57014" }, "timeout"],
    [{ code: "08006" }, "connection"],
    [{ code: "57P01" }, "connection"],
    [{ code: "53300" }, "connection"],
    [{ code: "42P01" }, "internal"],
    [{ name: "NeonDbError", message: "Error connecting to database: TypeError: fetch failed" }, "connection"],
    [{ name: "NeonDbError", message: "Server error (HTTP status 503): down" }, "connection"],
    [{ name: "TimeoutError", message: "The operation was aborted due to timeout" }, "timeout"],
    [{ name: "NeonDbError", message: "x", sourceError: { name: "TimeoutError" } }, "timeout"],
    [new Error("something else"), "internal"],
  ])("%o → %s", (error, kind) => {
    expect(classifyDbError(error)).toBe(kind);
  });
});

describe("when the database is down", () => {
  const gated = () => ({ DATABASE_URL: inject("gatedDatabaseUrl") });
  const app = createApp();

  it("API routes answer 503 SERVICE_UNAVAILABLE in the error shape and log it with the request id; /health stays 200", async () => {
    await harbor.gate("open");
    expect((await callApp(app, "/v1/tenants/acme", {}, gated())).status).toBe(200);
    await harbor.gate("closed");
    try {
      let res!: Response;
      const logs = await captureLogs(async () => {
        res = await callApp(app, "/v1/tenants/acme", {}, gated());
      });
      const error = await expectError(res, 503, "SERVICE_UNAVAILABLE");
      expect(res.headers.get("Retry-After")).toBe("5");
      expect(logs.find((l) => l.event === "request_failed")).toMatchObject({ request_id: error.request_id, code: "SERVICE_UNAVAILABLE" });

      const ready = await callApp(app, "/health/ready", {}, gated());
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as any).failing).toEqual(["database"]);
      expect((await callApp(app, "/health", {}, gated())).status).toBe(200);
    } finally {
      await harbor.gate("open");
    }
    expect((await callApp(app, "/v1/tenants/acme", {}, gated())).status).toBe(200);
  });

  it("a database that accepts connections but never answers gives 503, not a hang", async () => {
    await harbor.gate("hang");
    try {
      const started = Date.now();
      const res = await callApp(app, "/v1/tenants/acme", {}, gated());
      await expectError(res, 503, "SERVICE_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await harbor.gate("open");
    }
  });

  it("an unreachable Neon endpoint gives 503 too", async () => {
    const res = await callApp(app, "/v1/tenants/acme", {}, { NEON_FETCH_ENDPOINT: "http://127.0.0.1:9/sql" });
    await expectError(res, 503, "SERVICE_UNAVAILABLE");
  });

  it("the deployed Worker keeps serving after database failures", async () => {
    expect((await call("/health")).status).toBe(200);
    expect((await call("/v1/tenants/acme")).status).toBe(200);
  });
});
