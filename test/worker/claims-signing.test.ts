import { neon, neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { createApp } from "../../src/app";
import { type Claims, claimsOf, SET_SIGNED_CLAIMS_SQL, signClaims, systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { classifyDbError, dbErrorToAppError } from "../../src/db/errors";
import { ATTACKER_DB_CLAIMS_KEY, TEST_DB_CLAIMS_KEY, TEST_PREVIOUS_DB_CLAIMS_KEY } from "../support/test-constants";
import { as, dbConfig, people, testClaimsKey } from "../support/worker/callers";
import { callApp, expectError, rejectionOf, superuserSql } from "../support/worker/harness";

/**
 * What a leaked DATABASE_URL can do: log in as the Worker's role, switch to the app or system role, and write
 * any setting. These tests do exactly that, without the Worker, and try every way around the signature.
 */
const APP = "leave_ledger_app";
const SYSTEM = "leave_ledger_system";

/** The Worker's login, straight to Postgres (through the local Neon endpoint), one transaction per call. */
function login() {
  neonConfig.fetchEndpoint = inject("neonEndpoint");
  return neon(inject("databaseUrl"));
}

/** Runs `statement` as `role` after setting claims and signature exactly as given (any role may set any setting). */
async function asRole(role: string, settings: { claims?: string; signature?: string }, statement: string, params: unknown[] = []) {
  const db = login();
  const [, rows] = await db.transaction([
    db.query(
      "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claims_signature', $3, true)",
      [role, settings.claims ?? "", settings.signature ?? ""],
    ),
    db.query(statement, params),
  ]);
  return rows as Record<string, unknown>[];
}

const sam = claimsOf(as.sam);
const emma = claimsOf(as.emma);
const login_ = claimsOf(systemCaller("login", ACME.id));
const key = testClaimsKey;
const previousKey = { ...TEST_PREVIOUS_DB_CLAIMS_KEY };
const signed = (claims: Claims, signingKey = key, nowMs = Date.now()) => signClaims(claims, signingKey, nowMs);

/** What the system role can reach by argument, and what the app role reads: each refused without valid claims. */
const SYSTEM_PROBES: [string, string, unknown[]][] = [
  ["a user's password hash", "select * from app.password_hash_of($1)", [people.emma.userId]],
  ["a user's identity and roles", "select * from app.identity($1, $2)", [people.sam.userId, ACME.id]],
  ["a login candidate with its hash", "select * from app.login_candidate($1, $2)", [ACME.slug, people.sam.email]],
  ["the tenant directory", "select * from app.tenant_directory($1)", [ACME.slug]],
];
const APP_PROBES: [string, string, unknown[]][] = [
  ["users", "select id from users", []],
  ["their own claims", "select app.claims() as claims", []],
  // Tables with rows: a policy's claims are read when a row is checked (an empty table checks nothing).
  ["employees", "select id from employees", []],
  ["(writing) an employee's holiday calendar", "update employees set holiday_calendar = 'forged' returning id", []],
];

const [, hashOf, hashOfParams] = SYSTEM_PROBES[0]!;
const refused = (reason: RegExp) => ({ code: "42501", hint: "CLAIMS_NOT_SIGNED", message: expect.stringMatching(reason) });

afterEach(async () => {
  await superuserSql()`delete from claims_keys where kid <> ${TEST_DB_CLAIMS_KEY.kid}`;
});

describe("claims the Worker did not sign", () => {
  it.each(SYSTEM_PROBES)("as the system role, unsigned claims cannot read %s", async (_, statement, params) => {
    await expect(asRole(SYSTEM, { claims: JSON.stringify(login_) }, statement, params)).rejects.toMatchObject(refused(/not signed/));
  });

  it.each(APP_PROBES)("as the app role, unsigned claims of a System Admin cannot read %s", async (_, statement, params) => {
    await expect(asRole(APP, { claims: JSON.stringify(sam) }, statement, params)).rejects.toMatchObject(refused(/not signed/));
  });

  it("with no claims at all, the system role's functions find nobody and write nothing", async () => {
    for (const [what, statement, params] of SYSTEM_PROBES) expect(await asRole(SYSTEM, {}, statement, params), what).toEqual([]);
    expect(await asRole(SYSTEM, {}, "select * from app.readiness()")).toEqual([{ schema_version: null }]);
    await expect(asRole(SYSTEM, { claims: JSON.stringify(login_) }, "select * from app.readiness()")).rejects.toMatchObject(
      refused(/not signed/),
    );
    await expect(
      asRole(SYSTEM, {}, "select app.audit_system($1, 'user', $2, 'auth.login', null, null, true, null, null, null, '{}')", [
        ACME.id,
        people.sam.userId,
      ]),
    ).rejects.toMatchObject({ code: "42501" });
    // The row it tried to write (no IP, no request id: the Worker's rows always have one), whatever other tests left.
    const [{ n }] = (await superuserSql()`select count(*)::int as n from audit_log
      where actor_id = ${people.sam.userId} and action = 'auth.login' and ip is null and request_id is null`) as [{ n: number }];
    expect(n).toBe(0);
  });

  it("with no claims at all, the app role sees no row", async () => {
    expect(await asRole(APP, {}, "select id from users")).toEqual([]);
    expect(await asRole(APP, {}, "select app.claims() as claims")).toEqual([{ claims: {} }]);
  });

  it("a signature made with another key under the installed key id is refused", async () => {
    const forged = await signed(sam, { ...ATTACKER_DB_CLAIMS_KEY });
    expect(forged.signature.startsWith(`${TEST_DB_CLAIMS_KEY.kid}:`)).toBe(true);
    await expect(asRole(APP, forged, "select id from users")).rejects.toMatchObject(refused(/does not match/));
    await expect(asRole(SYSTEM, await signed(login_, { ...ATTACKER_DB_CLAIMS_KEY }), hashOf, hashOfParams)).rejects.toMatchObject(
      refused(/does not match/),
    );
  });

  it("a valid signature does not carry over to other claims: swapped, edited or re-serialised", async () => {
    const emmas = await signed(emma);
    expect(await asRole(APP, emmas, "select id from users")).toEqual([{ id: people.emma.userId }]);
    const swapped = { claims: JSON.stringify({ ...sam, exp: JSON.parse(emmas.claims).exp }), signature: emmas.signature };
    const promoted = {
      claims: emmas.claims.replace('"roles":["employee"]', '"roles":["employee","system_admin"]'),
      signature: emmas.signature,
    };
    const spaced = { claims: JSON.stringify(JSON.parse(emmas.claims), null, 1), signature: emmas.signature };
    for (const attempt of [swapped, promoted, spaced]) {
      expect(attempt.claims).not.toBe(emmas.claims);
      await expect(asRole(APP, attempt, "select id from users")).rejects.toMatchObject(refused(/does not match/));
    }
    // A system caller's signature cannot be lent to a user's claims, nor the other way round.
    const system = await signed(login_);
    await expect(asRole(APP, { claims: JSON.stringify(sam), signature: system.signature }, "select id from users")).rejects.toMatchObject(
      refused(/does not match/),
    );
  });

  it("expired claims are refused, and so are claims that claim to live longer than a minute", async () => {
    const expired = await signed(sam, key, Date.now() - 60_000);
    await expect(asRole(APP, expired, "select id from users")).rejects.toMatchObject(refused(/expired/));
    await expect(asRole(SYSTEM, await signed(login_, key, Date.now() - 60_000), hashOf, hashOfParams)).rejects.toMatchObject(
      refused(/expired/),
    );
    const farAhead = await signed(sam, key, Date.now() + 10 * 60_000);
    await expect(asRole(APP, farAhead, "select id from users")).rejects.toMatchObject(refused(/ahead/));
    // Within the clock skew the database allows, claims are still good.
    expect(await asRole(APP, await signed(emma, key, Date.now() - 32_000), "select id from users")).toEqual([{ id: people.emma.userId }]);
  });

  it("claims without exp are refused even when signed", async () => {
    const { exp: _, ...withoutExp } = JSON.parse((await signed(emma)).claims);
    const text = JSON.stringify(withoutExp);
    const mac = await crypto.subtle.sign(
      "HMAC",
      await crypto.subtle.importKey("jwk", { ...TEST_DB_CLAIMS_KEY }, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      new TextEncoder().encode(text),
    );
    const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
    await expect(
      asRole(APP, { claims: text, signature: `${TEST_DB_CLAIMS_KEY.kid}:${hex}` }, "select id from users"),
    ).rejects.toMatchObject(refused(/no exp/));
  });

  it("a key id that is not installed is refused; malformed signatures are refused", async () => {
    await expect(asRole(APP, await signed(sam, previousKey), "select id from users")).rejects.toMatchObject(refused(/not installed/));
    const good = await signed(sam);
    const mac = good.signature.split(":")[1]!;
    await expect(asRole(APP, { claims: good.claims, signature: `x y:${mac}` }, "select id from users")).rejects.toMatchObject(
      refused(/not installed/),
    );
    for (const signature of [
      "",
      "deadbeef",
      good.signature.toUpperCase(),
      `${good.signature}00`,
      mac,
      `:${mac}`,
      `${TEST_DB_CLAIMS_KEY.kid}:${"g".repeat(64)}`,
    ]) {
      await expect(asRole(APP, { claims: good.claims, signature }, "select id from users"), signature).rejects.toMatchObject(
        refused(/not signed/),
      );
    }
  });
});

describe("keys and their rotation", () => {
  it("the previous key is accepted while installed; once retired, its signatures are refused", async () => {
    // As the operator would (npm run db:claims-key): the key's bytes under its kid.
    const base64 = previousKey.k.replaceAll("-", "+").replaceAll("_", "/");
    await superuserSql()`insert into claims_keys (kid, secret) values (${previousKey.kid}, decode(${base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")}, 'base64'))`;
    const byPrevious = await signed(emma, previousKey);
    expect(await asRole(APP, byPrevious, "select id from users")).toEqual([{ id: people.emma.userId }]);
    expect(await asRole(APP, await signed(emma), "select id from users")).toEqual([{ id: people.emma.userId }]);

    await superuserSql()`delete from claims_keys where kid = ${previousKey.kid}`;
    await expect(asRole(APP, byPrevious, "select id from users")).rejects.toMatchObject(refused(/not installed/));
  });

  it("neither the app role nor the system role nor the login reads or writes the keys, even with valid claims", async () => {
    const statements = [
      "select * from public.claims_keys",
      "delete from public.claims_keys",
      "insert into public.claims_keys (kid, secret) values ('x', '\\x00')",
    ];
    for (const statement of statements) {
      await expect(asRole(APP, await signed(sam), statement), statement).rejects.toMatchObject({ code: "42501" });
      await expect(asRole(SYSTEM, await signed(login_), statement), statement).rejects.toMatchObject({ code: "42501" });
      await expect(login().query(statement), statement).rejects.toMatchObject({ code: "42501" });
    }
    await expect(login().query("set role leave_ledger_definer")).rejects.toMatchObject({ code: "42501" });
    const [{ n }] = (await superuserSql()`select count(*)::int as n from claims_keys`) as [{ n: number }];
    expect(n).toBe(1);
  });

  it("only the definer reads the keys: no policy or grant names another role", async () => {
    const policies =
      await superuserSql()`select policyname, roles::text[] as roles from pg_policies where tablename = 'claims_keys' order by 1`;
    expect(policies.map((p) => p.policyname)).toEqual(["claims_keys_definer", "claims_keys_owner"]);
    expect(policies.flatMap((p) => p.roles)).not.toContain(APP);
    const grants =
      await superuserSql()`select grantee, privilege_type from information_schema.role_table_grants where table_name = 'claims_keys' and grantee like 'leave_ledger_%' and grantee <> 'leave_ledger_owner' order by 1, 2`;
    expect(grants).toEqual([{ grantee: "leave_ledger_definer", privilege_type: "SELECT" }]);
    const [claims] =
      (await superuserSql()`select prosecdef, pg_get_userbyid(proowner) as owner from pg_proc where oid = 'app.claims()'::regprocedure`) as [
        { prosecdef: boolean; owner: string },
      ];
    expect(claims).toEqual({ prosecdef: true, owner: "leave_ledger_definer" });
  });
});

describe("definer functions", () => {
  it("cannot be fooled by a temporary table named like one of ours", async () => {
    const db = login();
    const claims = await signed(login_);
    const [, , , rows] = await db.transaction([
      db.query(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claims_signature', $3, true)",
        [SYSTEM, claims.claims, claims.signature],
      ),
      db.query("create temporary table credentials (user_id uuid, tenant_id uuid, password_hash text, pin_hash text) on commit drop"),
      db.query("insert into credentials values ($1, $2, 'forged-hash', null)", [people.sam.userId, ACME.id]),
      db.query("select secret_hash from app.login_candidate($1, $2)", [ACME.slug, people.sam.email]),
    ]);
    const [real] = (await superuserSql()`select password_hash from credentials where user_id = ${people.sam.userId}`) as [
      { password_hash: string },
    ];
    expect(rows).toEqual([{ secret_hash: real.password_hash }]);
  });

  it("all put the temporary schema last on their search_path", async () => {
    const loose = await superuserSql()`select p.oid::regprocedure::text as name from pg_proc p
      where p.pronamespace = 'app'::regnamespace and p.prosecdef
        and not coalesce(p.proconfig @> array['search_path=pg_catalog, public, pg_temp'], false)`;
    expect(loose).toEqual([]);
  });
});

describe("the Worker's own claims", () => {
  it("are signed for one transaction, in the batch's first statement: still one round trip", async () => {
    const [row] = await runInDatabase(dbConfig(), as.emma, (db) => [
      db.execute<{ claims: string; signature: string }>(
        sql`select current_setting('request.jwt.claims') as claims, current_setting('request.jwt.claims_signature') as signature`,
      ),
    ]);
    const { claims, signature } = row.rows[0]!;
    expect(JSON.parse(claims)).toEqual({ ...emma, exp: expect.any(Number) });
    expect(JSON.parse(claims).exp - Date.now() / 1000).toBeGreaterThan(20);
    expect(JSON.parse(claims).exp - Date.now() / 1000).toBeLessThanOrEqual(30);
    expect(signature).toMatch(new RegExp(`^${TEST_DB_CLAIMS_KEY.kid}:[0-9a-f]{64}$`));
  });

  it("a Worker signing with a key the database does not hold gets 500 DATABASE_ERROR, never a row", async () => {
    const error = await rejectionOf(
      runInDatabase({ ...dbConfig(), DB_CLAIMS_KEY: previousKey }, as.sam, (db) => [db.execute(sql`select id from users`)]),
    );
    expect(error.code).toBe("DATABASE_ERROR");
    expect(classifyDbError((error as { cause?: unknown }).cause)).toBe("internal");
    const wrongKey = { DB_CLAIMS_KEY: JSON.stringify(ATTACKER_DB_CLAIMS_KEY) };
    await expectError(await callApp(createApp(), "/v1/tenants/acme", {}, wrongKey), 500, "DATABASE_ERROR");
    // Readiness says so before the first request does.
    const ready = await callApp(createApp(), "/health/ready", {}, wrongKey);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toEqual(["database"]);
    // Every other insufficient_privilege stays a 403.
    expect(dbErrorToAppError({ code: "42501" }).code).toBe("FORBIDDEN");
  });

  it("node scripts sign the same way (the seed's statement)", async () => {
    const signedClaims = await signed(emma);
    const db = login();
    const [, , rows] = await db.transaction([
      db.query("select set_config('role', $1, true)", [APP]),
      db.query(SET_SIGNED_CLAIMS_SQL, [signedClaims.claims, signedClaims.signature]),
      db.query("select id from users"),
    ]);
    expect(rows).toEqual([{ id: people.emma.userId }]);
  });
});
