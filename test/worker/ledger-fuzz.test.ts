import fc from "fast-check";
import { expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

/** Fuzzed bad input to the ledger's endpoints: always a 4xx in the standard shape, never a 5xx, nothing written. */
const FUZZ_RUNS = { seed: 20261124, numRuns: 60 };
const UNLIMITED = { RATE_LIMIT_USER_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" };

/** Values that once reached Postgres and failed there: NUL, half a surrogate pair, dates it has no day for. */
const POISON = ["before\u0000after", "half \ud800 pair", "0000-01-01", "2026-02-30", "9999-99-99", "0x10"];

const junk = fc.oneof(
  fc.constantFrom(...POISON),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
/** Objects shaped like the real bodies, each field junk (or missing): a valid one is practically impossible. */
const bodies = {
  submit: fc.record(
    { policy_key: junk, start_date: junk, end_date: junk, start_part: junk, end_part: junk, reason: junk },
    { requiredKeys: [] },
  ),
  adjust: fc.record({ policy_key: junk, kind: junk, amount: junk, effective_date: junk, note: junk }, { requiredKeys: [] }),
  rollover: fc.record({ year: junk, dry_run: junk, run_id: junk, after: junk, limit: junk }, { requiredKeys: ["year"] }),
};

async function ledgerState() {
  return superuserSql()`select (select count(*)::int from ledger_entries) as entries, (select count(*)::int from leave_requests) as requests,
    (select count(*)::int from idempotency_keys) as keys, (select count(*)::int from audit_log) as audit`;
}

it("bad bodies, ids, headers and queries get a clear 4xx and change nothing", { timeout: 120_000 }, async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
  const w = await ledgerWorld({ grant: 5, bindings: UNLIMITED });
  const request = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-07" });
  const before = await ledgerState();
  const send = (path: string, init: RequestInit) => w.api.send(path, init, UNLIMITED);
  const post = (token: string, path: string, body: string, key: string | null = "fuzz-key") =>
    send(path, {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": "application/json", ...(key === null ? {} : { "Idempotency-Key": key }) },
      body,
    });
  const expectClearRefusal = async (res: Response, what: string) => {
    expect(res.status, what).toBeGreaterThanOrEqual(400);
    expect(res.status, what).toBeLessThan(500);
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error.message.length, what).toBeGreaterThan(0);
    expect(body.error.request_id, what).toBe(res.headers.get("X-Request-Id"));
  };

  await fc.assert(
    fc.asyncProperty(
      bodies.submit,
      bodies.adjust,
      bodies.rollover,
      fc.string({ maxLength: 40 }),
      fc.option(fc.string({ maxLength: 300 }), { nil: null }),
      async (submit, adjust, rollover, junkId, key) => {
        // Header values arrive trimmed; a key that is valid after trimming is replaced by none at all.
        const idempotencyKey = key === null || /^[\x21-\x7e]{1,255}$/.test(key.trim()) ? null : key;
        await expectClearRefusal(await post(w.tokens.emma, "/v1/requests", JSON.stringify(submit)), `submit ${JSON.stringify(submit)}`);
        await expectClearRefusal(
          await post(w.tokens.hana, `/v1/employees/${people.emma.employeeId}/ledger-entries`, JSON.stringify(adjust)),
          `adjust ${JSON.stringify(adjust)}`,
        );
        await expectClearRefusal(
          await post(w.tokens.sam, "/v1/rollovers", JSON.stringify({ ...rollover, dry_run: false })),
          `rollover ${JSON.stringify(rollover)}`,
        );
        await expectClearRefusal(
          await post(w.tokens.mike, `/v1/requests/${encodeURIComponent(junkId)}/approve`, "{}"),
          `approve ${junkId}`,
        );
        await expectClearRefusal(await post(w.tokens.emma, "/v1/requests", JSON.stringify(submit).slice(0, -1)), "truncated JSON");
        // A real request with a missing or malformed Idempotency-Key.
        await expectClearRefusal(
          await post(w.tokens.mike, `/v1/requests/${request.id}/approve`, "{}", idempotencyKey),
          `key ${JSON.stringify(idempotencyKey)}`,
        );
        const query = new URLSearchParams({
          sort: junkId,
          from: junkId,
          limit: junkId,
          cursor: junkId.replace(/[^A-Za-z0-9_-]/g, "") || "x",
        });
        const listed = await send(`/v1/ledger-entries?${query}`, { headers: bearer(w.tokens.emma) });
        await expectClearRefusal(listed, `list ${query}`);
        // Every cursor list and the balance reads, with a junk or poisoned cursor and date.
        const cursor = encodeURIComponent(junkId.replace(/[^A-Za-z0-9_-]/g, "") || "x");
        for (const path of [`/v1/requests?cursor=${cursor}`, `/v1/approvals?cursor=${cursor}`, `/v1/audit?cursor=${cursor}`]) {
          await expectClearRefusal(await send(path, { headers: bearer(w.tokens.hana) }), path);
        }
        const dates = POISON.filter((p) => p.isWellFormed() && !p.includes("\u0000"));
        const asOf = encodeURIComponent(dates[junkId.length % dates.length]!);
        await expectClearRefusal(await send(`/v1/me/balances?as_of=${asOf}`, { headers: bearer(w.tokens.emma) }), `as_of ${asOf}`);
      },
    ),
    FUZZ_RUNS,
  );
  expect(await ledgerState()).toEqual(before);
});
