import { beforeEach, describe, expect, inject, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, harbor, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld, newKey } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma.employeeId;

describe("leave requests", () => {
  it("place a hold at once; approval turns it into usage, one entry per day", async () => {
    const w = await ledgerWorld({ grant: 10 });
    // Mon 7 – Wed 9 Dec 2026: three working days.
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-09", reason: "family" });
    expect(request).toMatchObject({ status: "pending", days: 3, amount: 3 });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 10, pending: 3, available: 7 });

    const approved = await w.decide(w.tokens.mike, request.id, "approve");
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({
      status: "approved",
      approvals: [{ approver_id: people.mike.userId, decision: "approve" }],
    });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 7, pending: 0, available: 7 });

    const entries = (await (await w.api.send(`/v1/ledger-entries?policy_key=pto&sort=id`, { headers: bearer(w.tokens.emma) })).json()) as {
      data: { kind: string; amount: number; effective_date: string }[];
    };
    expect(entries.data.map((e) => [e.kind, e.amount, e.effective_date])).toEqual([
      ["grant", 10, "2026-01-01"],
      ["hold", -3, "2026-12-07"],
      ["hold_release", 3, "2026-12-07"],
      ["usage", -1, "2026-12-07"],
      ["usage", -1, "2026-12-08"],
      ["usage", -1, "2026-12-09"],
    ]);
    const audit = await superuserSql()`select action from audit_log where target_id = ${request.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(["request.submit", "request.approve"]);
  });

  it("charge working days only: weekends, the tenant's holidays and days outside the employee's work week are free", async () => {
    const w = await ledgerWorld({ grant: 10 });
    expect((await w.api.postJson("/v1/holidays", { day: "2026-12-25", name: "Christmas" }, bearer(w.tokens.hana))).status).toBe(201);
    await expectError(await w.api.postJson("/v1/holidays", { day: "2026-12-25", name: "Again" }, bearer(w.tokens.hana)), 409, "CONFLICT");
    await expectError(
      await w.api.postJson("/v1/holidays", { day: "2026-12-26", name: "Boxing Day" }, bearer(w.tokens.emma)),
      403,
      "FORBIDDEN",
    );
    const listed = await w.api.send("/v1/holidays?year=2026", { headers: bearer(w.tokens.emma) });
    expect(await listed.json()).toEqual({ calendar: "default", data: [{ day: "2026-12-25", name: "Christmas", calendar: "default" }] });
    // Thu 24 Dec – Tue 29 Dec: Thu, (Fri holiday), (Sat, Sun), Mon, Tue = 3 days.
    expect(await w.submitted(w.tokens.emma, { start_date: "2026-12-24", end_date: "2026-12-29" })).toMatchObject({ days: 3, amount: 3 });
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-26", end_date: "2026-12-27" }), 400, "VALIDATION_FAILED");

    // Eli works Monday, Wednesday and Friday: a whole week off costs three days.
    const patched = await w.api.send(`/v1/employees/${people.eli.employeeId}`, {
      method: "PATCH",
      headers: { ...bearer(w.tokens.hana), "Content-Type": "application/json" },
      body: JSON.stringify({ work_week: [5, 1, 3] }),
    });
    expect(await patched.json()).toMatchObject({ work_week: [1, 3, 5] });
    expect(await w.submitted(w.tokens.eli, { start_date: "2026-12-07", end_date: "2026-12-11" })).toMatchObject({ days: 3 });
    const removed = await w.api.send("/v1/holidays/2026-12-25", { method: "DELETE", headers: bearer(w.tokens.hana) });
    expect(removed.status).toBe(200);
    // Emma's pending request now covers Christmas too (holiday corrections has the details).
    expect(await removed.json()).toMatchObject({ corrections: [{ employee_name: "Emma Employee", days_before: 3, days_after: 4 }] });
    await expectError(
      await w.api.send("/v1/holidays/2026-12-25", { method: "DELETE", headers: bearer(w.tokens.hana) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
  });

  it("refuse more than is available with 422 INSUFFICIENT_BALANCE and its details, writing nothing", async () => {
    const w = await ledgerWorld({ grant: 3 });
    const error = await expectError(
      await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-11" }),
      422,
      "INSUFFICIENT_BALANCE",
    );
    expect(error.details).toEqual({ requested: 5, available: 3, policy_id: "pto" });
    expect(await superuserSql()`select count(*)::int as count from leave_requests`).toEqual([{ count: 0 }]);
  });

  it("count pending holds: a second request sees what the first holds", async () => {
    const w = await ledgerWorld({ grant: 3 });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    const error = await expectError(
      await w.submit(w.tokens.emma, { start_date: "2026-12-14", end_date: "2026-12-15" }),
      422,
      "INSUFFICIENT_BALANCE",
    );
    expect(error.details).toMatchObject({ requested: 2, available: 1 });
  });

  it("allow the policy's negative allowance, and no more", async () => {
    const w = await ledgerWorld({ grant: 1, policy: { negative_allowance: 1.5 } });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 1, pending: 2, available: 0.5 });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-09", end_date: "2026-12-09", end_part: "midday" });
    await expectError(
      await w.submit(w.tokens.emma, { start_date: "2026-12-10", end_date: "2026-12-10", end_part: "midday" }),
      422,
      "INSUFFICIENT_BALANCE",
    );
  });

  it("let a morning and an afternoon of one day both be taken, but never the same day twice", async () => {
    const w = await ledgerWorld({ grant: 10 });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", end_part: "midday" });
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", start_part: "afternoon" });
    const third = await expectError(
      await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07", start_part: "afternoon" }),
      409,
      "CONFLICT",
    );
    expect(third.details).toEqual({ days: ["2026-12-07"] });

    await w.submitted(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08" });
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-09" }), 409, "CONFLICT");
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ pending: 2, available: 8 });
  });

  it("return the balance exactly when rejected, cancelled or expired, and free the days", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const rejected = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    const cancelled = await w.submitted(w.tokens.emma, { start_date: "2026-12-09", end_date: "2026-12-09", end_part: "midday" });
    const expiring = await w.submitted(w.tokens.emma, { start_date: "2026-12-10", end_date: "2026-12-11" });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5, pending: 4.5, available: 0.5 });

    expect((await w.decide(w.tokens.mike, rejected.id, "reject")).status).toBe(200);
    expect((await w.cancel(w.tokens.emma, cancelled.id)).status).toBe(200);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5, pending: 2, available: 3 });

    // The TTL is 72 h: past it the hold stops counting at once, before anything sweeps it.
    w.api.clock.advance(72 * 3_600_000 + 1);
    await w.signInAgain();
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5, pending: 0, available: 5 });
    await expectError(await w.decide(w.tokens.mike, expiring.id, "approve"), 409, "CONFLICT");
    // Its days are free again: the next submission sweeps it and books them.
    await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-11" });
    const statuses = await superuserSql()`select id, status from leave_requests order by submitted_at`;
    expect(statuses.map((r) => r.status)).toEqual(["rejected", "cancelled", "expired", "pending"]);
    expect(
      await superuserSql()`select sum(amount)::float as sum from ledger_entries where kind in ('hold', 'hold_release') and request_id <> ${statuses[3]!.id}`,
    ).toEqual([{ sum: 0 }]);
  });

  it("reverse an approved request cancelled before it starts; refuse once it has started", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const future = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" });
    await w.decide(w.tokens.mike, future.id, "approve");
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 3 });
    const cancelled = await w.cancel(w.tokens.emma, future.id);
    expect(await cancelled.json()).toMatchObject({ status: "cancelled" });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5, pending: 0 });
    const reversals =
      await superuserSql()`select amount::float, resolves_entry_id is not null as resolves from ledger_entries where kind = 'reversal' order by id`;
    expect(reversals).toEqual([
      { amount: 1, resolves: true },
      { amount: 1, resolves: true },
    ]);

    const started = await w.submitted(w.tokens.emma, { start_date: "2026-11-24", end_date: "2026-11-24" });
    await w.decide(w.tokens.mike, started.id, "approve");
    await expectError(await w.cancel(w.tokens.emma, started.id), 409, "CONFLICT");
  });
});

describe("approvals", () => {
  it("a manager decides for direct reports only; nobody for themselves", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const hanas = await w.submitted(w.tokens.hana, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await expectError(await w.decide(w.tokens.mike, hanas.id, "approve"), 404, "RESOURCE_NOT_FOUND");
    await expectError(await w.decide(w.tokens.hana, hanas.id, "approve"), 403, "FORBIDDEN");
    await expectError(await w.decide(w.tokens.emma, hanas.id, "approve"), 403, "FORBIDDEN");
    const mikes = await w.submitted(w.tokens.mike, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await expectError(await w.decide(w.tokens.mike, mikes.id, "approve"), 403, "FORBIDDEN");
    // The decision's body is optional.
    const approved = await w.api.send(`/v1/requests/${hanas.id}/approve`, {
      method: "POST",
      headers: { ...bearer(w.tokens.sam), "Idempotency-Key": newKey() },
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: "approved", approvals: [{ approver_id: people.sam.userId, comment: null }] });
  });

  it("two-approver policies need two distinct people; a second approval by the same person does not count", async () => {
    const w = await ledgerWorld({ grant: 5, policy: { approvals_required: 2 } });
    const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    expect(await (await w.decide(w.tokens.mike, request.id, "approve")).json()).toMatchObject({ status: "pending" });
    w.api.clock.advance(60_000);
    await expectError(await w.decide(w.tokens.mike, request.id, "approve"), 409, "CONFLICT");
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 5, pending: 1 });
    const second = await w.decide(w.tokens.hana, request.id, "approve");
    expect(await second.json()).toMatchObject({
      status: "approved",
      approvals: [{ approver_id: people.mike.userId }, { approver_id: people.hana.userId }],
    });
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ posted: 4, pending: 0 });
    await expectError(await w.decide(w.tokens.sam, request.id, "reject"), 409, "CONFLICT");
  });

  it("the inbox lists what waits for me: my reports' pending requests, not mine, not decided by me", async () => {
    const w = await ledgerWorld({ grant: 5, policy: { approvals_required: 2 } });
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
    w.api.clock.advance(1_000);
    const elis = await w.submitted(w.tokens.eli, { start_date: "2026-12-07", end_date: "2026-12-07" });
    await w.submitted(w.tokens.mike, { start_date: "2026-12-07", end_date: "2026-12-07" });
    const inbox = async (token: string) =>
      (await (await w.api.send("/v1/approvals?limit=1", { headers: bearer(token) })).json()) as {
        data: { id: string }[];
        pagination: { next_cursor: string | null };
      };
    const first = await inbox(w.tokens.mike);
    expect(first.data.map((r) => r.id)).toEqual([emmas.id]);
    const next = (await (
      await w.api.send(`/v1/approvals?limit=1&cursor=${first.pagination.next_cursor}`, { headers: bearer(w.tokens.mike) })
    ).json()) as { data: { id: string }[] };
    expect(next.data.map((r) => r.id)).toEqual([elis.id]);
    await w.decide(w.tokens.mike, emmas.id, "approve");
    expect((await inbox(w.tokens.mike)).data.map((r) => r.id)).toEqual([elis.id]);
    await expectError(await w.api.send("/v1/approvals", { headers: bearer(w.tokens.emma) }), 403, "FORBIDDEN");
    // Lists: Mike sees his report's requests; Emma asking for Mike's gets 404, not an empty page.
    const listed = (await (
      await w.api.send(`/v1/requests?employee_id=${people.eli.employeeId}`, { headers: bearer(w.tokens.mike) })
    ).json()) as { data: { id: string }[] };
    expect(listed.data.map((r) => r.id)).toEqual([elis.id]);
    await expectError(
      await w.api.send(`/v1/requests?employee_id=${people.mike.employeeId}`, { headers: bearer(w.tokens.emma) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
  });
});

describe("idempotency", () => {
  it("a replayed key returns the first answer; the same key with another body is DUPLICATE_REQUEST", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const key = newKey("replay");
    const first = await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" }, key);
    const again = await w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    await expectError(await w.submit(w.tokens.emma, { start_date: "2026-12-08", end_date: "2026-12-08" }, key), 409, "DUPLICATE_REQUEST");
    // Keys are per caller: Eli's use of the same key is his own.
    expect((await w.submit(w.tokens.eli, { start_date: "2026-12-07", end_date: "2026-12-07" }, key)).status).toBe(201);
    await expectError(
      await w.api.postJson("/v1/requests", { policy_key: "pto", start_date: "2026-12-09", end_date: "2026-12-09" }, bearer(w.tokens.emma)),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("50 concurrent requests with one key write once and answer identically", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const key = newKey("storm");
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => w.submit(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-08" }, key)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(
      await superuserSql()`select (select count(*)::int from leave_requests) as requests, (select count(*)::int from ledger_entries where kind = 'hold') as holds`,
    ).toEqual([{ requests: 1, holds: 1 }]);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ pending: 2, available: 3 });
  });
});

describe("when the database is down", () => {
  it("a submission answers 503, writes nothing, and the same key works once it is back", async () => {
    const w = await ledgerWorld({ grant: 5 });
    const gated = { DATABASE_URL: inject("gatedDatabaseUrl") };
    const body = JSON.stringify({ policy_key: "pto", start_date: "2026-12-07", end_date: "2026-12-07" });
    const send = () =>
      w.api.send(
        "/v1/requests",
        { method: "POST", headers: { ...bearer(w.tokens.emma), "Content-Type": "application/json", "Idempotency-Key": "outage-1" }, body },
        gated,
      );
    expect((await w.api.send("/v1/me/balances", { headers: bearer(w.tokens.emma) }, gated)).status).toBe(200);
    await harbor.gate("closed");
    try {
      await expectError(await send(), 503, "SERVICE_UNAVAILABLE");
    } finally {
      await harbor.gate("open");
    }
    expect(
      await superuserSql()`select (select count(*)::int from leave_requests) as requests, (select count(*)::int from idempotency_keys where key = 'outage-1') as keys`,
    ).toEqual([{ requests: 0, keys: 0 }]);
    expect((await send()).status).toBe(201);
    expect(await w.balance(w.tokens.emma, emma)).toMatchObject({ pending: 1 });
  });
});
