import { sql as drizzleSql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { systemCaller } from "../../src/db/claims";
import { runInDatabase } from "../../src/db/door";
import { auditChainBrokenOnPurpose } from "../support/worker/audit-chain-guard";
import { authApp } from "../support/worker/auth";
import { as, dbConfig, people } from "../support/worker/callers";
import { rejectionOf, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Verdict {
  checked: number;
  valid: boolean;
  first_broken: { id: number | null; chain: number | null; chain_seq: number | null; reason: string } | null;
  next_after_id: number | null;
}

async function auditor() {
  const api = authApp();
  const token = (await api.tokens(people.ada.email)).access_token;
  const verify = async (query = ""): Promise<Verdict> => {
    const res = await api.send(`/v1/audit/verification${query}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    return (await res.json()) as Verdict;
  };
  return { api, token, verify };
}

/** Rows written straight into Acme's log (the chain trigger seals them as it seals the Worker's). */
async function filler(count: number, occurredAt: string | null = null, action = "test.filler") {
  await superuserSql()`insert into audit_log (tenant_id, occurred_at, actor_type, actor_id, action, target_type, target_id, success, ip, user_agent)
    select ${ACME.id}, coalesce(${occurredAt}::timestamptz, now()), 'system', 'test', ${action}, 'employee', g::text, true, '198.51.100.' || g, 'probe/' || g
    from generate_series(1, ${count}) g`;
}

type Row = { id: number; chain: number; chain_seq: number };
const acmeRows = async () =>
  (await superuserSql()`select id::int, chain, chain_seq::int from audit_log where tenant_id = ${ACME.id} order by id`) as Row[];

/** As the superuser with every trigger off: what someone with the database's keys could do behind the API. */
const tamper = (statement: string, values: unknown[] = []) => {
  auditChainBrokenOnPurpose();
  const sql = superuserSql();
  return sql.transaction([sql.query("set local session_replication_role = replica"), sql.query(statement, values)]);
};

const purge = (before: string, limit: number, caller = systemCaller("scheduler", ACME.id)) =>
  runInDatabase(dbConfig(), caller, (db) => [
    db.execute<{ purged: string }>(
      drizzleSql`select app.purge_audit(${ACME.id}, ${before}::timestamptz, ${limit}, '{"request_id":"test-purge"}') as purged`,
    ),
  ]).then(([r]) => Number(r.rows[0]!.purged));

describe("a tenant's audit chains", () => {
  it("a writer takes a chain no other transaction holds, instead of queueing behind it; one transaction keeps one chain", async () => {
    const sql = superuserSql();
    await filler(1);
    let holderDone = false;
    // The holder seals a row (taking a chain's head until it commits), then sleeps with the head locked.
    const holder = sql
      .transaction([
        sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'system', 'test', 'test.holder', true)`,
        sql`select pg_sleep(3)`,
      ])
      .then(() => {
        holderDone = true;
      });
    for (let i = 0; ; i++) {
      const [{ n }] = (await sql`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(3)%' and state = 'active'
        and pid <> pg_backend_pid()`) as [{ n: number }];
      if (n === 1) break;
      if (i > 200) throw new Error("the holder's transaction never started");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sql.transaction([
      sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'system', 'test', 'test.writer', true)`,
      sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'system', 'test', 'test.writer', true)`,
      sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) values (${ACME.id}, 'system', 'test', 'test.writer', true)`,
    ]);
    expect(holderDone, "the writer finished while the holder still held its chain").toBe(false);
    await holder;

    const rows =
      (await sql`select action, chain, chain_seq::int from audit_log where action in ('test.holder', 'test.writer') order by id`) as {
        action: string;
        chain: number;
        chain_seq: number;
      }[];
    const [held, ...written] = rows;
    expect(held!.action).toBe("test.holder");
    expect(new Set(written.map((r) => r.chain)).size).toBe(1);
    expect(written[0]!.chain).not.toBe(held!.chain);
    expect(written.map((r) => r.chain_seq)).toEqual([1, 2, 3].map((n) => written[0]!.chain_seq + n - 1));
    const { verify } = await auditor();
    expect(await verify()).toMatchObject({ valid: true, first_broken: null });
  });

  it("verification in pieces covers every entry once, across chains", async () => {
    await filler(7);
    const sql = superuserSql();
    // A second chain, as concurrent writers would make it: rows sealed into chain 1 by hand.
    await sql.transaction([
      sql`select 1 from audit_chain_heads where chain_id = ${ACME.id} and chain = 0 for update`,
      sql`select set_config('app.audit_chain_' || replace(${ACME.id}, '-', ''), '1', true)`,
      sql`insert into audit_log (tenant_id, actor_type, actor_id, action, success) select ${ACME.id}, 'system', 'test', 'test.second', true from generate_series(1, 4)`,
    ]);
    const { verify } = await auditor();
    const rows = await acmeRows();
    expect(new Set(rows.map((r) => r.chain))).toEqual(new Set([0, 1]));
    const whole = await verify();
    expect(whole).toMatchObject({ checked: rows.length, valid: true, next_after_id: null });
    let checked = 0;
    for (let after: number | null = 0; after !== null; ) {
      const part = await verify(`?after_id=${after}&limit=2`);
      expect(part.valid).toBe(true);
      checked += part.checked;
      after = part.next_after_id;
    }
    expect(checked).toBe(rows.length);
  });
});

describe("verification names the first entry that does not follow", () => {
  const cases: [string, (rows: Row[]) => [string, unknown[]], (rows: Row[]) => object][] = [
    [
      "a changed detail",
      (rows) => [`update audit_log set details = '{"role":"system_admin"}' where id = $1`, [rows[4]!.id]],
      (rows) => ({ id: rows[4]!.id, reason: "the row or its predecessor was altered" }),
    ],
    [
      "a changed personal field",
      (rows) => ["update audit_log set ip = '203.0.113.9' where id = $1", [rows[4]!.id]],
      (rows) => ({ id: rows[4]!.id, reason: "the row was altered" }),
    ],
    [
      "a salt erased alone, the fields kept",
      (rows) => ["update audit_log set personal_salt = null where id = $1", [rows[4]!.id]],
      (rows) => ({ id: rows[4]!.id, reason: "the row was altered" }),
    ],
    [
      "a deleted row",
      (rows) => ["delete from audit_log where id = $1", [rows[4]!.id]],
      (rows) => ({ id: rows[5]!.id, chain_seq: rows[5]!.chain_seq, reason: "a row is missing before this one" }),
    ],
    [
      "the newest rows deleted",
      (rows) => ["delete from audit_log where tenant_id = $1 and id >= $2", [ACME.id, rows.at(-2)!.id]],
      (rows) => ({
        id: null,
        chain: 0,
        chain_seq: rows.at(-2)!.chain_seq,
        reason: "the newest rows of this chain are missing, from this position on",
      }),
    ],
    [
      "a row added beyond the chain's head",
      () => [
        `insert into audit_log (tenant_id, actor_type, action, success, chain, chain_seq, hash)
         select $1, 'system', 'forged', true, 0, last_seq + 1, 'x' from audit_chain_heads where chain_id = $1 and chain = 0`,
        [ACME.id],
      ],
      () => ({ chain: 0, reason: "the row is beyond its chain's newest link (inserted)" }),
    ],
    [
      "a row outside every chain",
      () => ["insert into audit_log (tenant_id, actor_type, action, success) values ($1, 'system', 'forged', true)", [ACME.id]],
      () => ({ chain: null, chain_seq: null, reason: "the row is in no chain (inserted)" }),
    ],
  ];

  it.each(cases)("%s", async (_name, change, expected) => {
    await filler(10);
    const { verify } = await auditor();
    const rows = await acmeRows();
    expect((await verify()).valid).toBe(true);
    await tamper(...change(rows));
    const verdict = await verify();
    expect(verdict.valid).toBe(false);
    expect(verdict.first_broken).toMatchObject(expected(rows));
  });
});

describe("erasure of an entry's personal fields", () => {
  it("keeps the chain valid; the entry says so; nothing else about it may change", async () => {
    await filler(3);
    await superuserSql()`insert into audit_log (tenant_id, actor_type, actor_id, action, success, ip, personal_details)
      values (${ACME.id}, 'system', 'test', 'test.personal', true, '192.0.2.1', '{"email":"old@acme.example"}')`;
    await filler(2);
    const [{ id }] = (await superuserSql()`select id::int from audit_log where action = 'test.personal'`) as [{ id: number }];
    const { api, token, verify } = await auditor();

    const sql = superuserSql();
    for (const [change, attempt] of [
      ["details", sql`update audit_log set details = '{"x":1}' where id = ${id}`],
      ["ip alone", sql`update audit_log set ip = null where id = ${id}`],
      [
        "everything personal and the action",
        sql`update audit_log set ip = null, user_agent = null, personal_details = null, personal_salt = null, action = 'x' where id = ${id}`,
      ],
      ["delete", sql`delete from audit_log where id = ${id}`],
      ["truncate", sql`truncate audit_log`],
    ] as const) {
      const error = await rejectionOf(attempt);
      expect(String(error), change).toContain("audit_log is append-only");
    }

    await sql`update audit_log set ip = null, user_agent = null, personal_details = null, personal_salt = null where id = ${id}`;
    expect(await verify()).toMatchObject({ valid: true });
    const res = await api.send("/v1/audit?action=test.personal", { headers: bearer(token) });
    const [entry] = ((await res.json()) as { data: Record<string, unknown>[] }).data;
    expect(entry).toMatchObject({ id, ip: null, user_agent: null, personal_details: null, personal_data_erased: true });
  });
});

describe("retention", () => {
  it("purges the oldest rows behind signed checkpoints, audited, and verification continues from them", async () => {
    await filler(12, "2020-01-01T00:00:00Z", "test.old");
    await filler(3);
    const { verify } = await auditor();
    // Rows are not deleted without a checkpoint that covers them.
    expect(String(await rejectionOf(superuserSql()`delete from audit_log where action = 'test.old'`))).toContain("append-only");

    expect(await purge("2021-01-01T00:00:00Z", 5)).toBe(5);
    expect(await verify()).toMatchObject({ valid: true });
    let purged = 5;
    for (let n = await purge("2021-01-01T00:00:00Z", 5); n > 0; n = await purge("2021-01-01T00:00:00Z", 5)) purged += n;
    expect(purged).toBe(12);
    const left = (await superuserSql()`select action from audit_log where tenant_id = ${ACME.id} order by id`) as { action: string }[];
    expect(left.filter((r) => r.action === "test.old")).toEqual([]);
    expect(left.filter((r) => r.action === "test.filler")).toHaveLength(3);
    const cuts = (await superuserSql()`select details from audit_log where action = 'audit.purge' order by id`) as {
      details: { rows: number };
    }[];
    expect(cuts.map((c) => c.details.rows)).toEqual([5, 5, 2]);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it("a checkpoint that was changed or removed breaks verification at the first row after it", async () => {
    await filler(6, "2020-01-01T00:00:00Z", "test.old");
    await filler(3);
    await purge("2021-01-01T00:00:00Z", 100);
    const [first] = (await superuserSql()`select id::int from audit_log where tenant_id = ${ACME.id} order by chain_seq limit 1`) as [
      { id: number },
    ];
    const { verify } = await auditor();
    expect(await verify()).toMatchObject({ valid: true });

    await tamper("update audit_checkpoints set rows_purged = rows_purged - 1");
    expect((await verify()).first_broken).toMatchObject({
      id: first.id,
      reason: "the retention checkpoint before this row is not validly signed",
    });
    await tamper("delete from audit_checkpoints");
    expect((await verify()).first_broken).toMatchObject({ id: first.id, reason: "a row is missing before this one" });
  });

  it("an unsigned checkpoint covers nothing: rows behind it are not deleted, and a chain cut behind one is named", async () => {
    await filler(4);
    const { verify } = await auditor();
    const [head] = (await superuserSql()`select chain, last_seq::int, last_hash from audit_chain_heads
      where chain_id = ${ACME.id} and last_seq > 0 order by chain limit 1`) as [{ chain: number; last_seq: number; last_hash: string }];
    await superuserSql()`insert into audit_checkpoints (tenant_id, chain, chain_seq, hash, rows_purged, purged_before, signature)
      values (${ACME.id}, ${head.chain}, ${head.last_seq}, ${head.last_hash}, ${head.last_seq}, now(), ${`ck1:${"0".repeat(64)}`})`;
    auditChainBrokenOnPurpose();
    expect(
      String(await rejectionOf(superuserSql()`delete from audit_log where tenant_id = ${ACME.id} and chain = ${head.chain}`)),
    ).toContain("append-only");
    await tamper("delete from audit_log where tenant_id = $1 and chain = $2", [ACME.id, head.chain]);
    expect((await verify()).first_broken).toMatchObject({
      id: null,
      chain: head.chain,
      reason: "the newest rows of this chain are missing, from this position on",
    });
  });

  it("only the scheduler purges, and only its own tenant's checkpoints are anyone's to read", async () => {
    await filler(2, "2020-01-01T00:00:00Z", "test.old");
    const refused = await rejectionOf(purge("2021-01-01T00:00:00Z", 10, systemCaller("login", ACME.id)));
    expect(refused).toMatchObject({ code: "FORBIDDEN" });
    expect(
      await rejectionOf(
        runInDatabase(dbConfig(), as.sam, (db) => [db.execute(drizzleSql`select app.purge_audit(${ACME.id}, now(), 10, '{}')`)]),
      ),
    ).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await purge("2021-01-01T00:00:00Z", 10)).toBe(2);

    const visible = async (caller: typeof as.ada) =>
      (await runInDatabase(dbConfig(), caller, (db) => [db.execute(drizzleSql`select count(*)::int as n from audit_checkpoints`)]))[0]
        .rows[0];
    expect(await visible(as.ada)).toEqual({ n: 1 });
    expect(await visible(as.emma)).toEqual({ n: 0 });
    expect(await visible(as.gina)).toEqual({ n: 0 });
  });
});
