import { sql as drizzleSql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { ACME, GLOBEX } from "../../scripts/lib/seed-data";
import { runInDatabase } from "../../src/db/door";
import { loadConfig } from "../../src/kernel/config";
import { runDailyWork } from "../../src/scheduler/daily";
import { as, dbConfig, people } from "../support/worker/callers";
import { expectError, harbor, recordingQueue, resetDatabase, resetEdgeState, superuserSql, testEnv } from "../support/worker/harness";
import { bearer, ledgerWorld, TUESDAY_NOON } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const settings = async () =>
  (await superuserSql()`select slug, audit_retention_years as audit, confidential_retention_years as confidential from tenants order by slug`) as {
    slug: string;
    audit: number;
    confidential: number | null;
  }[];

describe("a tenant's retention", () => {
  it("is read by HR, System Admins and auditors, changed only by a System Admin (audited), never another tenant's", async () => {
    const w = await ledgerWorld();
    const before = await settings();
    expect(before).toEqual([
      { slug: "acme", audit: 7, confidential: 3 },
      { slug: "globex", audit: 7, confidential: 3 },
    ]);
    const read = await w.api.send("/v1/tenant/retention", { headers: bearer(w.tokens.ada) });
    expect(await read.json()).toEqual({ audit_years: 7, confidential_years: 3 });
    await expectError(await w.api.send("/v1/tenant/retention", { headers: bearer(w.tokens.emma) }), 403, "FORBIDDEN");

    const patch = (token: string, body: unknown) =>
      w.api.send("/v1/tenant/retention", {
        method: "PATCH",
        headers: { ...bearer(token), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    await expectError(await patch(w.tokens.hana, { audit_years: 1 }), 403, "FORBIDDEN");
    for (const bad of [{}, { audit_years: 0 }, { audit_years: 101 }, { audit_years: 2.5 }, { confidential_years: "3" }, { keep: 1 }])
      await expectError(await patch(w.tokens.sam, bad), 400, "VALIDATION_FAILED");
    expect(await settings()).toEqual(before);

    const changed = await patch(w.tokens.sam, { confidential_years: null });
    expect(await changed.json()).toEqual({ audit_years: 7, confidential_years: null });
    expect(await (await patch(w.tokens.sam, { audit_years: 10 })).json()).toEqual({ audit_years: 10, confidential_years: null });
    expect(await settings()).toEqual([
      { slug: "acme", audit: 10, confidential: null },
      { slug: "globex", audit: 7, confidential: 3 },
    ]);
    const audits = await superuserSql()`select actor_id, details from audit_log where action = 'tenant.retention_update' order by id`;
    expect(audits).toEqual([
      {
        actor_id: people.sam.userId,
        details: { before: { audit_years: 7, confidential_years: 3 }, after: { audit_years: 7, confidential_years: null } },
      },
      {
        actor_id: people.sam.userId,
        details: { before: { audit_years: 7, confidential_years: null }, after: { audit_years: 10, confidential_years: null } },
      },
    ]);

    // Row-level security, tried directly: HR changes nothing; a System Admin never reaches another tenant's row.
    const update = (caller: typeof as.hana, tenantId: string) =>
      runInDatabase(dbConfig(), caller, (db) => [
        db.execute(drizzleSql`update tenants set audit_retention_years = 1 where id = ${tenantId} returning id`),
      ]).then(([r]) => r.rows.length);
    expect(await update(as.hana, ACME.id)).toBe(0);
    expect(await update(as.sam, GLOBEX.id)).toBe(0);
    expect((await settings()).map((s) => s.audit)).toEqual([10, 7]);
  });

  it("the daily job destroys the data keys of years past it and purges audit rows past it, each audited; the chains still verify", async () => {
    // Audit rows 2 years old, written first (a chain is purged from its oldest end), then the rest.
    const twoYearsAgo = new Date(TUESDAY_NOON - 2 * 366 * 86_400_000).toISOString();
    await superuserSql()`insert into audit_log (tenant_id, occurred_at, actor_type, actor_id, action, success)
      select ${ACME.id}, ${twoYearsAgo}::timestamptz, 'system', 'test', 'test.old', true from generate_series(1, 3)`;
    const w = await ledgerWorld({ assign: [people.emma.employeeId], grant: 10 });
    const request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: "kept" });
    // Keys of years long past, as if written then.
    await superuserSql()`insert into data_keys (id, tenant_id, employee_id, year, wrapped, kek_id)
      select gen_random_uuid(), ${ACME.id}, ${people.emma.employeeId}, y, gen_random_bytes(40), 'test-kek-2026-12' from unnest(array[2019, 2022, 2023]) y`;
    await superuserSql()`update tenants set audit_retention_years = 1 where id = ${ACME.id}`;

    const loaded = loadConfig(testEnv);
    if (!loaded.ok) throw new Error("test config invalid");
    const acme = async () => (await runDailyWork(loaded.config, TUESDAY_NOON)).find((r) => r.tenant_id === ACME.id)!;
    // 2026 with a retention of 3: the years up to 2022 ended more than 3 full years ago.
    expect(await acme()).toMatchObject({ shredded_keys: 2, purged_audit_rows: 3 });
    expect(await superuserSql()`select year, wrapped is null as destroyed from data_keys order by year`).toEqual([
      { year: 2019, destroyed: true },
      { year: 2022, destroyed: true },
      { year: 2023, destroyed: false },
      { year: 2026, destroyed: false },
      { year: 2027, destroyed: false },
    ]);
    expect(await superuserSql()`select details from audit_log where action = 'retention.shred'`).toEqual([
      { details: { data_keys_destroyed: 2, through_year: 2022 } },
    ]);
    const read = (await (await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(w.tokens.emma) })).json()) as { reason: string };
    expect(read.reason).toBe("kept");
    expect(await acme()).toMatchObject({ shredded_keys: 0, purged_audit_rows: 0 });
    const verification = (await (await w.api.send("/v1/audit/verification", { headers: bearer(w.tokens.ada) })).json()) as {
      valid: boolean;
    };
    expect(verification.valid).toBe(true);
  });

  it("forgets domain events after 30 days with their finished deliveries and logs, but never one still owed or a subject's newest", async () => {
    const w = await ledgerWorld({ assign: [people.emma.employeeId], grant: 10, bindings: { WEBHOOKS: recordingQueue().queue } });
    const subscribed = await w.api.postJson("/v1/webhooks/subscriptions", { url: harbor.receiverUrl("retention") }, bearer(w.tokens.sam));
    expect(subscribed.status).toBe(201);
    const first = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05" });
    expect((await w.decide(w.tokens.hana, first.id, "approve")).status).toBe(200);
    expect((await w.cancel(w.tokens.emma, first.id)).status).toBe(200);
    const second = await w.submitted(w.tokens.emma, { start_date: "2027-01-12", end_date: "2027-01-12" });
    expect((await w.decide(w.tokens.hana, second.id, "approve")).status).toBe(200);
    // The first request: submitted delivered, approved dead, cancelled pending. The second: both delivered.
    const db = superuserSql();
    await db`update webhook_deliveries d set status = case when d.subject = ${`leave_request:${first.id}`} and e.sequence = 2 then 'dead'
      when d.subject = ${`leave_request:${first.id}`} and e.sequence = 3 then 'pending' else 'delivered' end
      from outbox_events e where e.id = d.event_id`;
    await db`insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, status_code, outcome)
      select tenant_id, id, 1, now(), 5, 204, 'delivered' from webhook_deliveries`;
    const events = async () =>
      (await db`select subject, sequence from outbox_events order by subject, sequence`) as { subject: string; sequence: number }[];
    const before = await events();

    const loaded = loadConfig(testEnv);
    if (!loaded.ok) throw new Error("test config invalid");
    const acme = async (at: number) => (await runDailyWork(loaded.config, at)).find((r) => r.tenant_id === ACME.id)!;
    expect(await acme(TUESDAY_NOON + 29 * 86_400_000)).toMatchObject({ purged_events: 0 });
    expect(await acme(TUESDAY_NOON + 31 * 86_400_000)).toMatchObject({ purged_events: 2 });
    // Gone: the two delivered submissions, which are not their subjects' newest. Kept: the dead approval, the pending
    // cancellation, the second approval (its subject's newest), and the policy's and balances' only events.
    const gone = [`leave_request:${first.id}`, `leave_request:${second.id}`].map((subject) => ({ subject, sequence: 1 }));
    expect(await events()).toEqual(before.filter((e) => !gone.some((g) => g.subject === e.subject && g.sequence === e.sequence)));
    expect((await db`select count(*)::int as n from webhook_deliveries`)[0]).toEqual({ n: 3 });
    expect((await db`select count(*)::int as n from webhook_attempts`)[0]).toEqual({ n: 3 });
    // A later event of a subject numbers on from its newest.
    expect((await w.cancel(w.tokens.emma, second.id)).status).toBe(200);
    expect(await db`select sequence from outbox_events where subject = ${`leave_request:${second.id}`} order by sequence`).toEqual([
      { sequence: 2 },
      { sequence: 3 },
    ]);
  });
});
