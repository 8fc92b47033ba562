import { beforeEach, describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { newDataKey } from "../../src/crypto/data-keys";
import { dataKekSchema, loadConfig } from "../../src/kernel/config";
import { runDailyWork } from "../../src/scheduler/daily";
import { TEST_DATA_KEK } from "../support/test-constants";
import { people } from "../support/worker/callers";
import { expectError, harbor, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";
import { asBeforeSealing, bearer, ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;
const MEDICAL = "IVF appointment #c0nf1dent1al";
const COMMENT = "Get well soon #c0nf1dent1al";
const encodings = (text: string) => [text, btoa(text), Buffer.from(text).toString("hex"), Buffer.from(text).toString("base64url")];

/** Every text value in the database, as one string (tables, idempotency answers, audit rows). */
async function everythingStored(): Promise<string> {
  const tables = (await superuserSql()`select tablename from pg_tables where schemaname = 'public'`) as { tablename: string }[];
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = await superuserSql().query(`select t::text as row from ${tablename} t`);
    parts.push(...(rows as { row: string }[]).map((r) => r.row));
  }
  return parts.join("\n");
}

type StoredRow = { id: string; reason: string | null; data_key_id: string | null };
const storedRequests = async () =>
  (await superuserSql()`select id, reason, data_key_id from leave_requests where employee_id = ${emma} order by submitted_at`) as StoredRow[];

describe("confidential fields are sealed by the Worker", () => {
  it("a reason and a comment reach the database only as ciphertext, and come back as plaintext to those who may read them", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const key = "sealed-submit";
    const submitted = await w.submit(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL }, key);
    expect(submitted.status).toBe(201);
    const request = (await submitted.json()) as { id: string; reason: string };
    expect(request.reason).toBe(MEDICAL);
    expect(Object.keys(request)).not.toContain("data_key_id");

    const [row] = await storedRequests();
    expect(row!.id).toBe(request.id);
    expect(row!.reason).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(row!.data_key_id).toEqual(expect.any(String));

    const replay = await w.submit(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL }, key);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replay.json()).toEqual(request);

    const decided = await w.post(`/v1/requests/${request.id}/reject`, w.tokens.mike, { comment: COMMENT });
    expect(decided.status).toBe(200);
    expect(((await decided.json()) as { approvals: { comment: string }[] }).approvals[0]!.comment).toBe(COMMENT);
    const [approval] = (await superuserSql()`select comment, data_key_id from approvals`) as { comment: string; data_key_id: string }[];
    expect(approval!.comment).toMatch(/^v1\./);
    expect(approval!.data_key_id).toBe(row!.data_key_id);

    for (const token of [w.tokens.emma, w.tokens.mike, w.tokens.hana, w.tokens.ada]) {
      const read = (await (await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(token) })).json()) as {
        reason: string;
        approvals: { comment: string }[];
      };
      expect(read.reason).toBe(MEDICAL);
      expect(read.approvals.map((a) => a.comment)).toEqual([COMMENT]);
    }
    const listed = (await (await w.api.send(`/v1/requests?employee_id=${emma}`, { headers: bearer(w.tokens.hana) })).json()) as {
      data: { reason: string }[];
    };
    expect(listed.data.map((r) => r.reason)).toEqual([MEDICAL]);

    const stored = await everythingStored();
    for (const secret of [MEDICAL, COMMENT]) for (const form of encodings(secret)) expect(stored).not.toContain(form);
    const [audit] = (await superuserSql()`select details from audit_log where action = 'request.reject'`) as { details: unknown }[];
    expect(audit!.details).toEqual({ commented: true });
  });

  it("the approvals inbox opens the reasons of several people's requests, each with their own key", async () => {
    const w = await ledgerWorld({ assign: [emma, people.eli.employeeId] });
    await w.grant(emma, 10);
    await w.grant(people.eli.employeeId, 10);
    await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: `${MEDICAL} E` });
    await w.submitted(w.tokens.eli, { start_date: "2027-01-06", end_date: "2027-01-06", reason: `${MEDICAL} L` });
    const inbox = (await (await w.api.send("/v1/approvals", { headers: bearer(w.tokens.hana) })).json()) as { data: { reason: string }[] };
    expect(inbox.data.map((r) => r.reason).sort()).toEqual([`${MEDICAL} E`, `${MEDICAL} L`]);
  });

  it("a ciphertext moved to another row, or changed, is DATA_INTEGRITY (reported without the data), never garbage", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const a = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    const b = await w.submitted(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06", reason: "Something else" });
    await harbor.sentry({ clear: true });
    await superuserSql()`update leave_requests set reason = (select reason from leave_requests where id = ${a.id}) where id = ${b.id}`;
    const moved = await w.api.send(`/v1/requests/${b.id}`, { headers: bearer(w.tokens.emma) });
    await expectError(moved, 500, "DATA_INTEGRITY");

    const [{ reason }] = (await superuserSql()`select reason from leave_requests where id = ${a.id}`) as [{ reason: string }];
    const flipped = `${reason.slice(0, -2)}${reason.at(-2) === "A" ? "B" : "A"}${reason.at(-1)}`;
    await superuserSql()`update leave_requests set reason = ${flipped} where id = ${a.id}`;
    await expectError(await w.api.send(`/v1/requests/${a.id}`, { headers: bearer(w.tokens.emma) }), 500, "DATA_INTEGRITY");

    const events = JSON.stringify(await harbor.sentryEvents());
    expect(events).toContain("DATA_INTEGRITY");
    for (const form of encodings(MEDICAL)) expect(events).not.toContain(form);
  });

  it("a destroyed key makes the fields it sealed unreadable, and nothing more is sealed with it", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const a = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    await superuserSql()`update data_keys set wrapped = null, kek_id = null, destroyed_at = now()`;
    const read = (await (await w.api.send(`/v1/requests/${a.id}`, { headers: bearer(w.tokens.emma) })).json()) as { reason: unknown };
    expect(read.reason).toBeNull();
    // The isolate still holds the key it sealed with: the database refuses it.
    const refused = await w.submit(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06", reason: "again" });
    await expectError(refused, 403, "FORBIDDEN");
    expect(await storedRequests()).toHaveLength(1);
  });

  it("a key wrapped under a KEK this Worker does not have is 503 ENCRYPTION_KEY_UNAVAILABLE, and nothing is written", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const a = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    await resetEdgeState();
    await superuserSql()`update data_keys set kek_id = 'retired-kek'`;
    const read = await w.api.send(`/v1/requests/${a.id}`, { headers: bearer(w.tokens.emma) });
    expect((await expectError(read, 503, "ENCRYPTION_KEY_UNAVAILABLE")).details).toEqual({ kek_id: "retired-kek" });
    await expectError(
      await w.submit(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06", reason: "again" }),
      503,
      "ENCRYPTION_KEY_UNAVAILABLE",
    );
    expect(await storedRequests()).toHaveLength(1);
  });

  it("after a KEK rotation old keys still open (DATA_KEK_PREVIOUS), new keys are wrapped under the new KEK, and replays are recognised", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const key = "before-rotation";
    const body = { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL };
    const a = await w.submitted(w.tokens.emma, body);
    await w.submit(w.tokens.emma, { ...body, start_date: "2027-01-07", end_date: "2027-01-07" }, key);
    await resetEdgeState();
    const NEW_KEK = { ...TEST_DATA_KEK, k: "Z3f8wq0Vb1lH9pFj2XrT4mKc6NsYd7AeLuQi5oPzBxE", kid: "test-kek-2027-01" };
    const rotated = { DATA_KEK: JSON.stringify(NEW_KEK), DATA_KEK_PREVIOUS: JSON.stringify(TEST_DATA_KEK) };
    const get = (id: string) => w.api.send(`/v1/requests/${id}`, { headers: bearer(w.tokens.emma) }, rotated);
    expect(((await (await get(a.id)).json()) as { reason: string }).reason).toBe(MEDICAL);

    const replay = await w.api.postJson(
      "/v1/requests",
      { policy_key: w.policyKey, ...body, start_date: "2027-01-07", end_date: "2027-01-07" },
      { ...bearer(w.tokens.emma), "Idempotency-Key": key },
      rotated,
    );
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await replay.json()) as { reason: string }).reason).toBe(MEDICAL);

    const next = await w.api.postJson(
      "/v1/requests",
      { policy_key: w.policyKey, ...body, start_date: "2028-01-05", end_date: "2028-01-05" },
      { ...bearer(w.tokens.emma), "Idempotency-Key": "after-rotation" },
      rotated,
    );
    expect(next.status).toBe(201);
    const kids = (await superuserSql()`select year, kek_id from data_keys order by year`) as { year: number; kek_id: string }[];
    expect(kids).toEqual([
      { year: 2026, kek_id: TEST_DATA_KEK.kid }, // the grant's note
      { year: 2027, kek_id: TEST_DATA_KEK.kid },
      { year: 2028, kek_id: NEW_KEK.kid },
    ]);
  });

  it("when another key was stored for the person and year meanwhile, the write is sealed again with that one", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const first = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    // The isolate now holds the key it sealed with; behind its back the stored key for Emma and 2027 changes.
    const other = await newDataKey({ DATA_KEK: dataKekSchema.parse(JSON.stringify(TEST_DATA_KEK)) });
    await superuserSql().transaction((sql) => [
      sql`update leave_requests set reason = null, data_key_id = null where id = ${first.id}`,
      sql`delete from data_keys where year = 2027`,
      sql`insert into data_keys (id, tenant_id, employee_id, year, wrapped, kek_id)
          values (${other.stored.id}, ${ACME.id}, ${emma}, 2027, ${Buffer.from(other.stored.wrapped)}, ${TEST_DATA_KEK.kid})`,
    ]);
    const second = await w.submitted(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06", reason: "second" });
    const stored = await storedRequests();
    expect(stored.find((r) => r.id === second.id)?.data_key_id).toBe(other.stored.id);
    const read = (await (await w.api.send(`/v1/requests/${second.id}`, { headers: bearer(w.tokens.emma) })).json()) as { reason: string };
    expect(read.reason).toBe("second");
  });

  it("the idempotency request hash is keyed: the stored hash is not a plain hash of the request", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const body = { policy_key: w.policyKey, start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL };
    await w.submitted(w.tokens.emma, body);
    const plain = Buffer.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(["submit", body])))),
    ).toString("hex");
    const hashes = (await superuserSql()`select request_hash from idempotency_keys`) as { request_hash: string }[];
    expect(hashes.map((h) => h.request_hash)).not.toContain(plain);
    expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h.request_hash))).toBe(true);
  });
});

describe("rows written before sealing", () => {
  it("keep their plaintext and can still be decided; a new plaintext reason is refused, even to the superuser", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    await w.grant(emma, 10);
    const old = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05" });
    // As a release before sealing left it (triggers off, as they were not there then).
    await superuserSql().transaction((sql) => [
      sql`set local session_replication_role = replica`,
      sql`update leave_requests set reason = 'written before sealing' where id = ${old.id}`,
    ]);
    const read = (await (await w.api.send(`/v1/requests/${old.id}`, { headers: bearer(w.tokens.mike) })).json()) as { reason: string };
    expect(read.reason).toBe("written before sealing");
    const decided = await w.post(`/v1/requests/${old.id}/approve`, w.tokens.mike, {});
    expect(decided.status, await decided.clone().text()).toBe(200);
    expect(((await decided.json()) as { status: string }).status).toBe("approved");
    const error = await superuserSql()`update leave_requests set reason = 'plain again' where id = ${old.id}`.then(
      () => null,
      (e: Error) => e,
    );
    expect(String(error)).toContain("leave_requests.reason must be sealed");
  });
});

describe("the daily job's work on sealed fields", () => {
  const dailyConfig = (bindings: Record<string, string> = {}) => {
    const loaded = loadConfig({ ...testEnv, ...bindings } as typeof testEnv);
    if (!loaded.ok) throw new Error("test config invalid");
    return loaded.config;
  };

  it("seals what was written before sealed fields existed (the system's notes move apart), once, audited; the API shows the same text", async () => {
    const w = await ledgerWorld({ assign: [emma], grant: 10 });
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05" });
    expect((await w.post(`/v1/requests/${request.id}/approve`, w.tokens.mike, {})).status).toBe(200);
    await asBeforeSealing(request.id, emma);
    const runs = await runDailyWork(dailyConfig(), TUESDAY_NOON);
    expect(runs.find((r) => r.tenant_id === ACME.id)?.sealed_fields).toBe(3);

    const [stored] = (await superuserSql()`select
      (select reason from leave_requests where id = ${request.id}) as reason,
      (select comment from approvals where request_id = ${request.id}) as comment,
      (select note from ledger_entries where kind = 'grant') as note,
      (select jsonb_build_object('note', note, 'system_note', system_note) from ledger_entries where kind = 'hold_release') as release`) as {
      reason: string;
      comment: string;
      note: string;
      release: unknown;
    }[];
    for (const sealed of [stored!.reason, stored!.comment, stored!.note]) expect(sealed).toMatch(/^v1\./);
    expect(stored!.release).toEqual({ note: null, system_note: "approved" });
    const read = (await (await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(w.tokens.mike) })).json()) as {
      reason: string;
      approvals: { comment: string }[];
    };
    expect([read.reason, read.approvals[0]?.comment]).toEqual(["plain reason", "plain comment"]);
    const entries = (await (
      await w.api.send(`/v1/ledger-entries?employee_id=${emma}&sort=id`, { headers: bearer(w.tokens.hana) })
    ).json()) as {
      data: { kind: string; note: string }[];
    };
    expect(entries.data.filter((e) => e.kind === "grant" || e.kind === "hold_release").map((e) => e.note)).toEqual([
      "plain note",
      "approved",
    ]);
    expect(await superuserSql()`select details from audit_log where action = 'confidential.seal'`).toEqual([{ details: { fields: 3 } }]);

    expect((await runDailyWork(dailyConfig(), TUESDAY_NOON)).find((r) => r.tenant_id === ACME.id)?.sealed_fields).toBe(0);
  });

  it("moves data keys from the previous KEK to the current one, after which the previous KEK is no longer needed", async () => {
    const w = await ledgerWorld({ assign: [emma], grant: 10 });
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    const NEW_KEK = { ...TEST_DATA_KEK, k: "Z3f8wq0Vb1lH9pFj2XrT4mKc6NsYd7AeLuQi5oPzBxE", kid: "test-kek-2027-01" };
    const rotated = { DATA_KEK: JSON.stringify(NEW_KEK), DATA_KEK_PREVIOUS: JSON.stringify(TEST_DATA_KEK) };
    const runs = await runDailyWork(dailyConfig(rotated), TUESDAY_NOON);
    expect(runs.find((r) => r.tenant_id === ACME.id)?.rewrapped_keys).toBe(2); // 2026 (the grant's note) and 2027
    expect(await superuserSql()`select distinct kek_id, rewrapped_at is not null as rewrapped from data_keys`).toEqual([
      { kek_id: NEW_KEK.kid, rewrapped: true },
    ]);
    expect(await superuserSql()`select details ->> 'keys' as keys from audit_log where action = 'data_keys.rewrap'`).toEqual([
      { keys: "2" },
    ]);

    await resetEdgeState();
    const onlyNew = { DATA_KEK: JSON.stringify(NEW_KEK) };
    const read = await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(w.tokens.emma) }, onlyNew);
    expect(((await read.json()) as { reason: string }).reason).toBe(MEDICAL);
    expect((await runDailyWork(dailyConfig(rotated), TUESDAY_NOON)).find((r) => r.tenant_id === ACME.id)?.rewrapped_keys).toBe(0);
  });
});

describe("reads of confidential fields are logged", () => {
  it("one audit row per other person whose reason or comment is shown, in the read's own transaction; not one's own, not what is not shown", async () => {
    const w = await ledgerWorld({ assign: [emma, people.eli.employeeId] });
    await w.grant(emma, 10);
    await w.grant(people.eli.employeeId, 10);
    // A second apart, so that "newest first" is one order.
    const later = () => w.api.clock.advance(1_000);
    const first = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MEDICAL });
    later();
    const second = await w.submitted(w.tokens.emma, { start_date: "2027-01-06", end_date: "2027-01-06", reason: "second" });
    later();
    const plain = await w.submitted(w.tokens.emma, { start_date: "2027-01-07", end_date: "2027-01-07" });
    later();
    await w.submitted(w.tokens.eli, { start_date: "2027-01-05", end_date: "2027-01-05", reason: "eli's" });
    const reads = async () =>
      (await superuserSql()`select actor_id, target_id, details, request_id, ip from audit_log where action = 'confidential.read' order by id`) as {
        actor_id: string;
        target_id: string;
        details: { read: string; ids: string[] };
        request_id: string;
        ip: string;
      }[];

    expect((await w.api.send(`/v1/requests/${first.id}`, { headers: bearer(w.tokens.emma) })).status).toBe(200);
    expect((await w.api.send(`/v1/requests/${plain.id}`, { headers: bearer(w.tokens.mike) })).status).toBe(200);
    expect(await reads()).toEqual([]);

    const res = await w.api.send(`/v1/requests/${first.id}`, { headers: bearer(w.tokens.mike) });
    expect(await reads()).toEqual([
      {
        actor_id: people.mike.userId,
        target_id: emma,
        details: { read: "leave_request", ids: [first.id] },
        request_id: res.headers.get("X-Request-Id"),
        ip: expect.any(String),
      },
    ]);

    // A page of two of Emma's three (newest first: one without a reason, one with): the third, read only to see
    // whether more follow, is not shown, so not logged.
    const page = (await (await w.api.send(`/v1/requests?employee_id=${emma}&limit=2`, { headers: bearer(w.tokens.hana) })).json()) as {
      data: { id: string }[];
    };
    expect(page.data.map((r) => r.id)).toEqual([plain.id, second.id]);
    const afterList = (await reads()).filter((r) => r.actor_id === people.hana.userId);
    expect(afterList.map((r) => r.details.ids)).toEqual([[second.id]]);

    await w.api.send("/v1/approvals", { headers: bearer(w.tokens.hana) });
    const inbox = (await reads()).filter((r) => r.actor_id === people.hana.userId).slice(1);
    expect(inbox.map((r) => r.target_id).sort()).toEqual([emma, people.eli.employeeId].sort());
    expect(inbox.find((r) => r.target_id === emma)?.details.ids.sort()).toEqual([first.id, second.id].sort());

    // A decision's answer shows the reason too: logged as a read.
    expect((await w.post(`/v1/requests/${first.id}/approve`, w.tokens.sam, {})).status).toBe(200);
    expect((await reads()).filter((r) => r.actor_id === people.sam.userId).map((r) => [r.target_id, r.details.ids])).toEqual([
      [emma, [first.id]],
    ]);
  });
});

describe("HR's notes on ledger entries", () => {
  const NOTE = "Salary sacrifice: 2 days #c0nf1dent1al";
  type Entry = { id: number; kind: string; reference: string; note: string | null };
  const grant = async (w: Awaited<ReturnType<typeof ledgerWorld>>, note: string) => {
    const res = await w.post(`/v1/employees/${emma}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "grant",
      amount: 2,
      effective_date: "2027-01-04",
      note,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Entry;
  };
  const entriesAs = async (w: Awaited<ReturnType<typeof ledgerWorld>>, token: string) =>
    ((await (await w.api.send(`/v1/ledger-entries?employee_id=${emma}&sort=id`, { headers: bearer(token) })).json()) as { data: Entry[] })
      .data;
  const noteReads = async () =>
    (await superuserSql()`select actor_id, details from audit_log where action = 'confidential.read' and details ->> 'read' = 'ledger_entry'`) as {
      actor_id: string;
      details: { ids: number[] };
    }[];

  it("are sealed, bound to the entry, opened for those who may read them (another person's read logged); the system's notes stay apart", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    const entry = await grant(w, NOTE);
    expect(entry.note).toBe(NOTE);
    const [stored] = (await superuserSql()`select note, data_key_id, system_note from ledger_entries where id = ${entry.id}`) as {
      note: string;
      data_key_id: string | null;
      system_note: string | null;
    }[];
    expect(stored!.note).toMatch(/^v1\./);
    expect(stored!.data_key_id).toEqual(expect.any(String));
    expect(stored!.system_note).toBeNull();

    expect((await entriesAs(w, w.tokens.emma)).map((e) => e.note)).toEqual([NOTE]);
    expect(await noteReads()).toEqual([]);
    expect((await entriesAs(w, w.tokens.mike)).map((e) => e.note)).toEqual([NOTE]);
    expect(await noteReads()).toEqual([{ actor_id: people.mike.userId, details: expect.objectContaining({ ids: [entry.id] }) }]);

    // A hold's release says how it ended: the system's note, not sealed.
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05" });
    expect((await w.decide(w.tokens.mike, request.id, "approve")).status).toBe(200);
    const release = (await entriesAs(w, w.tokens.emma)).find((e) => e.kind === "hold_release")!;
    expect(release.note).toBe("approved");
    const [releaseRow] = (await superuserSql()`select note, system_note from ledger_entries where id = ${release.id}`) as {
      note: string | null;
      system_note: string;
    }[];
    expect(releaseRow).toEqual({ note: null, system_note: "approved" });

    const stored2 = await everythingStored();
    for (const form of encodings(NOTE)) expect(stored2).not.toContain(form);
  });

  it("a note moved to another entry is DATA_INTEGRITY; one written before sealing reads as written; a plaintext note is refused, even to the superuser", async () => {
    const w = await ledgerWorld({ assign: [emma] });
    const a = await grant(w, NOTE);
    const b = await grant(w, "another");
    await superuserSql().transaction((sql) => [
      sql`set local session_replication_role = replica`,
      sql`update ledger_entries set note = (select note from ledger_entries where id = ${a.id}) where id = ${b.id}`,
    ]);
    await expectError(
      await w.api.send(`/v1/ledger-entries?employee_id=${emma}`, { headers: bearer(w.tokens.emma) }),
      500,
      "DATA_INTEGRITY",
    );

    await superuserSql().transaction((sql) => [
      sql`set local session_replication_role = replica`,
      sql`update ledger_entries set note = 'written before sealing', data_key_id = null where id = ${b.id}`,
    ]);
    expect((await entriesAs(w, w.tokens.emma)).map((e) => e.note)).toEqual([NOTE, "written before sealing"]);

    const error =
      await superuserSql()`insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference, note)
      select tenant_id, account_id, employee_id, policy_key, 'grant', 1, '2027-01-04', 'plain', 'plain note' from ledger_entries where id = ${a.id}`.then(
        () => null,
        (e: Error) => e,
      );
    expect(String(error)).toContain("ledger_entries.note must be sealed");
  });
});
