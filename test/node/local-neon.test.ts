/**
 * The local stand-in for Neon's /sql endpoint, driven by the real @neondatabase/serverless driver, so the
 * stand-in cannot drift from the protocol the Worker speaks in production.
 */
import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPostgres } from "../../scripts/lib/embedded-postgres";
import { type LocalNeon, startLocalNeon } from "../../scripts/local-neon/server";
import { startThrowawayPostgres } from "../support/node/throwaway-postgres";

let postgres: LocalPostgres;
let endpoint: LocalNeon;
let sql: NeonQueryFunction<false, false>;
let url: string;

beforeAll(async () => {
  postgres = await startThrowawayPostgres();
  endpoint = await startLocalNeon();
  neonConfig.fetchEndpoint = endpoint.url;
  url = postgres.superuserUrl();
  sql = neon(url);
  await sql.query("create table items (id int primary key, label text not null, amount numeric(6,2))");
});

afterAll(async () => {
  await endpoint?.close();
  await postgres?.stop();
});

describe("single queries", () => {
  it("returns rows parsed by the driver from raw text and field type ids", async () => {
    const [row] = await sql`select 42::int4 as i, 9007199254740993::int8 as big, 1.5::float8 as f, 'x'::text as t, true as b,
      null::text as n, '{"a":[1,2]}'::jsonb as j, array[1,2,3]::int[] as arr, '2026-11-23'::date as d,
      '2026-11-23T10:00:00Z'::timestamptz as ts, '\\x0102'::bytea as bin, 12.50::numeric(6,2) as num`;
    expect(row).toMatchObject({
      i: 42,
      big: "9007199254740993",
      f: 1.5,
      t: "x",
      b: true,
      n: null,
      j: { a: [1, 2] },
      arr: [1, 2, 3],
      num: "12.50",
    });
    expect(row!.ts).toEqual(new Date("2026-11-23T10:00:00Z"));
    expect(row!.bin).toEqual(Buffer.from([1, 2]));
  });

  it("passes parameters, bytea and arrays included", async () => {
    const [row] = await sql.query("select $1::text as t, $2::int as i, $3::bytea as b, $4::int[] as a, $5::text as n", [
      "O'Reilly; drop table items",
      7,
      Buffer.from([255, 0]),
      [1, 2],
      null,
    ]);
    expect(row).toEqual({ t: "O'Reilly; drop table items", i: 7, b: Buffer.from([255, 0]), a: [1, 2], n: null });
  });

  it("supports array mode and full results", async () => {
    const result = await sql.query("select 1 as one, 'two' as two", [], { arrayMode: true, fullResults: true });
    expect(result.rows).toEqual([[1, "two"]]);
    expect(result.fields.map((f) => f.name)).toEqual(["one", "two"]);
    expect(result.command).toBe("SELECT");
    expect(result.rowCount).toBe(1);
  });

  it("reports Postgres errors with their fields", async () => {
    await sql`insert into items values (1, 'a', 1)`;
    await expect(sql`insert into items values (1, 'again', 1)`).rejects.toMatchObject({
      name: "NeonDbError",
      code: "23505",
      constraint: "items_pkey",
      table: "items",
      severity: "ERROR",
    });
    await expect(sql`select * from missing_table`).rejects.toMatchObject({ code: "42P01" });
  });
});

describe("batch transactions", () => {
  it("commits every statement together", async () => {
    const [inserted, counted] = await sql.transaction([
      sql`insert into items values (10, 'b', 2) returning id`,
      sql`select count(*)::int as n from items where id = 10`,
    ]);
    expect(inserted).toEqual([{ id: 10 }]);
    expect(counted).toEqual([{ n: 1 }]);
  });

  it("rolls every statement back when one fails", async () => {
    await expect(
      sql.transaction([sql`insert into items values (20, 'c', 3)`, sql`insert into items values (20, 'dup', 3)`]),
    ).rejects.toMatchObject({
      code: "23505",
    });
    expect(await sql`select id from items where id = 20`).toEqual([]);
  });

  it("honours the read-only flag", async () => {
    await expect(sql.transaction([sql`insert into items values (30, 'd', 1)`], { readOnly: true })).rejects.toMatchObject({
      code: "25006",
    });
  });

  it("honours the isolation level and deferrable flag", async () => {
    const [[row]] = (await sql.transaction(
      [sql`select current_setting('transaction_isolation') as level, current_setting('transaction_read_only') as ro`],
      {
        isolationLevel: "Serializable",
        readOnly: true,
        deferrable: true,
      },
    )) as [[{ level: string; ro: string }]];
    expect(row).toEqual({ level: "serializable", ro: "on" });
    const [[rc]] = (await sql.transaction([sql`select current_setting('transaction_isolation') as level`], {
      isolationLevel: "RepeatableRead",
    })) as [[{ level: string }]];
    expect(rc.level).toBe("repeatable read");
  });

  it("keeps set_config(…, true) inside its transaction", async () => {
    const [[inside]] = (await sql.transaction([sql`select set_config('request.jwt.claims', '{"sub":"x"}', true) as v`])) as [
      [{ v: string }],
    ];
    expect(inside.v).toBe('{"sub":"x"}');
    const [after] = await sql`select coalesce(current_setting('request.jwt.claims', true), '') as v`;
    expect(after!.v).toBe("");
  });
});

describe("the endpoint itself", () => {
  it("counts one round trip per request, per application_name", async () => {
    const tagged = `${url}?application_name=counting-test`;
    const counted = neon(tagged);
    await counted`select 1`;
    await counted.transaction([counted`select 1`, counted`select 2`, counted`select 3`]);
    expect(endpoint.roundTrips("counting-test")).toBe(2);
  });

  it("answers 503 (a driver connection error) when Postgres is unreachable", async () => {
    const down = neon(`postgres://postgres@127.0.0.1:9/postgres`);
    const error = await down`select 1`.catch((e: unknown) => e as Error);
    expect((error as Error).name).toBe("NeonDbError");
    expect((error as Error).message).toMatch(/HTTP status 503/);
  });

  it("refuses to proxy to hosts off this machine", async () => {
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: { "Neon-Connection-String": "postgres://u@db.example.com/x" },
      body: JSON.stringify({ query: "select 1", params: [] }),
    });
    expect(res.status).toBe(400);
  });

  it("answers malformed requests with 400", async () => {
    for (const body of ["not json", JSON.stringify({ nothing: true }), JSON.stringify({ queries: [{ params: [] }] })]) {
      const res = await fetch(endpoint.url, { method: "POST", headers: { "Neon-Connection-String": url }, body });
      expect(res.status, body).toBe(400);
    }
  });

  it("returns a connection to the pool healthy after a failed batch", async () => {
    for (let i = 0; i < 5; i++) await sql.transaction([sql`select 1/0`]).catch(() => {});
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("select count(*)::int as n from pg_stat_activity where state = 'idle in transaction'");
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});
