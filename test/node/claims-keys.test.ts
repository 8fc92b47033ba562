import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installClaimsKeys, listClaimsKeys, newClaimsKey, parseClaimsKey, retireClaimsKey } from "../../scripts/lib/claims-keys";
import { ensureDatabase, type LocalPostgres } from "../../scripts/lib/embedded-postgres";
import { DATABASE_NAME } from "../../scripts/lib/local-stack";
import { migrateUp } from "../../scripts/lib/migrator";
import { SET_SIGNED_CLAIMS_SQL, signClaims } from "../../src/db/claims";
import { DB_ROLES } from "../../src/db/roles";
import { startThrowawayPostgres } from "../support/node/throwaway-postgres";
import { TEST_DB_CLAIMS_KEY, TEST_PREVIOUS_DB_CLAIMS_KEY } from "../support/test-constants";

/** `npm run db:claims-key` and `npm run db:migrate`'s key installation, against a cluster of their own. */
const PROJECT = resolve(import.meta.dirname, "../..");
let postgres: LocalPostgres;
let ownerUrl: string;
const current = parseClaimsKey(JSON.stringify(TEST_DB_CLAIMS_KEY));
const previous = parseClaimsKey(JSON.stringify(TEST_PREVIOUS_DB_CLAIMS_KEY));

async function asApp<T extends pg.QueryResultRow>(settings: { claims: string; signature: string }, statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: `postgres://${DB_ROLES.authenticator}@127.0.0.1:${postgres.port}/${DATABASE_NAME}` });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("set local role leave_ledger_app");
    await client.query(SET_SIGNED_CLAIMS_SQL, [settings.claims, settings.signature]);
    return (await client.query<T>(statement)).rows;
  } finally {
    await client.end();
  }
}

function cli(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(resolve(PROJECT, "node_modules/.bin/tsx"), [resolve(PROJECT, "scripts/claims-key.ts"), ...args], {
      cwd: PROJECT,
      env: { PATH: process.env.PATH, MIGRATION_DATABASE_URL: ownerUrl, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { status: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  postgres = await startThrowawayPostgres();
  await ensureDatabase(postgres.superuserUrl(), DATABASE_NAME, DB_ROLES.owner);
  ownerUrl = `postgres://${DB_ROLES.owner}@127.0.0.1:${postgres.port}/${DATABASE_NAME}`;
});
afterAll(() => postgres?.stop());

describe("claims keys", () => {
  it("db:migrate installs the key after the table and before the claims check applies", async () => {
    const seen: string[] = [];
    await migrateUp(ownerUrl, {
      log: (line) => seen.push(line),
      beforeRepeatables: async () => {
        seen.push("install");
        await installClaimsKeys(ownerUrl, [current]);
      },
    });
    expect(seen.indexOf("install")).toBeGreaterThan(seen.indexOf("applied 0019_signed_claims"));
    expect(seen.indexOf("install")).toBeLessThan(seen.indexOf("applied functions/10_claims.sql"));
    expect((await listClaimsKeys(ownerUrl)).map((k) => k.kid)).toEqual([current.kid]);
  });

  it("a key id names one key forever: installing it again is a no-op, another secret under it is refused", async () => {
    expect(await installClaimsKeys(ownerUrl, [current])).toEqual({ added: [], retired: [] });
    const impostor = { ...current, k: newClaimsKey("x").k };
    await expect(installClaimsKeys(ownerUrl, [impostor])).rejects.toThrow(/already installed with another key/);
    const error = await installClaimsKeys(ownerUrl, [impostor]).catch((e: Error) => e.message);
    expect(error).not.toContain(impostor.k);
  });

  it("rotation: the previous and the current key both verify until the previous one is retired", async () => {
    await installClaimsKeys(ownerUrl, [previous]);
    const claims = { caller: "user", sub: null, tenant_id: null, employee_id: null, roles: [] };
    for (const key of [current, previous])
      expect(await asApp(await signClaims(claims, key), "select app.claims() ->> 'caller' as c")).toEqual([{ c: "user" }]);
    expect(await retireClaimsKey(ownerUrl, previous.kid)).toBe(true);
    expect(await retireClaimsKey(ownerUrl, previous.kid)).toBe(false);
    await expect(asApp(await signClaims(claims, previous), "select app.claims()")).rejects.toMatchObject({
      code: "42501",
      hint: "CLAIMS_NOT_SIGNED",
    });
  });

  it("exclusive installation (local stacks) leaves exactly the given keys", async () => {
    await installClaimsKeys(ownerUrl, [previous]);
    expect(await installClaimsKeys(ownerUrl, [current], { exclusive: true })).toEqual({ added: [], retired: [previous.kid] });
    expect((await listClaimsKeys(ownerUrl)).map((k) => k.kid)).toEqual([current.kid]);
  });

  it("the definer reads keys and writes none; only the owner installs them", async () => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      await client.query("begin");
      await client.query("set local role leave_ledger_definer");
      expect((await client.query("select kid from public.claims_keys")).rows).toEqual([{ kid: current.kid }]);
      await expect(client.query("delete from public.claims_keys")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await client.end();
    }
  });

  it("the CLI: generate prints a usable key and nothing else; install, list and retire never print a key", async () => {
    const generated = cli(["generate", "cli-2026-11"]);
    expect(generated.status).toBe(0);
    const key = parseClaimsKey(generated.stdout);
    expect(key.kid).toBe("cli-2026-11");
    const installed = cli(["install"], { DB_CLAIMS_KEY: generated.stdout });
    expect(installed.status).toBe(0);
    const listed = cli(["list"]);
    expect(listed.stdout).toMatch(/^cli-2026-11\t/m);
    expect(`${installed.stdout}${installed.stderr}${listed.stdout}${listed.stderr}`).not.toContain(key.k);
    expect(cli(["retire", "cli-2026-11"]).status).toBe(0);
    expect(cli(["list"]).stdout).not.toContain("cli-2026-11");
    expect(cli(["generate", "bad kid"]).status).toBe(1);
    const broken = cli(["install"], { DB_CLAIMS_KEY: JSON.stringify({ ...TEST_DB_CLAIMS_KEY, k: "short" }) });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/DB_CLAIMS_KEY/);
    expect(broken.stderr).not.toContain('"short"');
  });
});
