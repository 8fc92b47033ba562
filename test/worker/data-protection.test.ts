import { beforeEach, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { captureLogs, expectError, harbor, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const emma = people.emma;
/** Written through the API as a reason, a comment and an HR note; looked for everywhere, in every encoding. */
const MARKER = "Oncology follow-up 7Qx#marker";
const forms = (text: string) => [
  text,
  btoa(text),
  Buffer.from(text).toString("base64url"),
  Buffer.from(text).toString("hex"),
  Buffer.from(text).toString("hex").toUpperCase(),
];
const holds = (haystack: string) => forms(MARKER).some((form) => haystack.includes(form));

/** Every row of every table, as text: tables, audit rows, stored idempotency answers. */
async function everythingStored(): Promise<string> {
  const tables = (await superuserSql()`select tablename from pg_tables where schemaname = 'public'`) as { tablename: string }[];
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = (await superuserSql().query(`select t::text as row from ${tablename} t`)) as { row: string }[];
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join("\n");
}

it("a confidential marker is stored, logged and reported nowhere, is in its owner's export, and after erasure is readable nowhere; balances and chains still verify", async () => {
  await harbor.sentry({ clear: true });
  let w!: Awaited<ReturnType<typeof ledgerWorld>>;
  let request!: { id: string };
  let exported = "";
  const logs = await captureLogs(async () => {
    w = await ledgerWorld({ assign: [emma.employeeId] });
    const grant = await w.post(`/v1/employees/${emma.employeeId}/ledger-entries`, w.tokens.hana, {
      policy_key: w.policyKey,
      kind: "grant",
      amount: 10,
      effective_date: "2027-01-04",
      note: `${MARKER} (note)`,
    });
    expect(grant.status).toBe(201);
    request = await w.submitted(w.tokens.emma, { start_date: "2027-01-05", end_date: "2027-01-05", reason: MARKER });
    expect((await w.post(`/v1/requests/${request.id}/reject`, w.tokens.mike, { comment: `${MARKER} (comment)` })).status).toBe(200);
    // Refused writes carrying it: invalid input, and a replayed key with another body.
    await expectError(
      await w.submit(w.tokens.emma, { start_date: "2027-01-08", end_date: "2027-01-07", reason: MARKER }),
      400,
      "VALIDATION_FAILED",
    );
    const key = "marker-replay";
    expect((await w.submit(w.tokens.emma, { start_date: "2027-01-11", end_date: "2027-01-11", reason: MARKER }, key)).status).toBe(201);
    await expectError(
      await w.submit(w.tokens.emma, { start_date: "2027-01-12", end_date: "2027-01-12", reason: MARKER }, key),
      409,
      "DUPLICATE_REQUEST",
    );
    // Reads by those who may: they see it.
    expect(holds(await (await w.api.send(`/v1/requests/${request.id}`, { headers: bearer(w.tokens.hana) })).text())).toBe(true);
    const res = await w.api.send("/v1/me/export", { headers: bearer(w.tokens.emma) });
    expect(res.status).toBe(200);
    exported = await res.text();
  });

  // Its owner's export holds it, as a reason, a comment and a note.
  for (const where of [MARKER, `${MARKER} (comment)`, `${MARKER} (note)`]) expect(exported).toContain(JSON.stringify(where));
  // Nowhere else: no table (idempotency answers and audit rows included), no log line, no Sentry event.
  expect(holds(await everythingStored()), "a table holds the marker").toBe(false);
  expect(logs.length).toBeGreaterThan(0);
  expect(holds(JSON.stringify(logs)), "a log line holds the marker").toBe(false);

  // A ciphertext moved to another row does not open there: DATA_INTEGRITY, reported without the data.
  const other = await w.submitted(w.tokens.emma, { start_date: "2027-01-13", end_date: "2027-01-13", reason: "other" });
  await superuserSql()`update leave_requests set reason = (select reason from leave_requests where id = ${request.id}) where id = ${other.id}`;
  await expectError(await w.api.send(`/v1/requests/${other.id}`, { headers: bearer(w.tokens.emma) }), 500, "DATA_INTEGRITY");
  const events = JSON.stringify(await harbor.sentryEvents());
  expect(events).toContain("DATA_INTEGRITY");
  expect(holds(events), "a Sentry event holds the marker").toBe(false);
  await superuserSql()`update leave_requests set reason = null, data_key_id = null where id = ${other.id}`;

  const balance = await w.balance(w.tokens.hana, emma.employeeId);
  const erased = await w.api.postJson(`/v1/employees/${emma.employeeId}/erasure`, {}, bearer(w.tokens.sam));
  expect(erased.status, await erased.clone().text()).toBe(200);

  // After erasure: readable nowhere — not by HR, not in an export, not with the KEK (the data keys are gone).
  for (const path of [
    `/v1/requests/${request.id}`,
    `/v1/ledger-entries?employee_id=${emma.employeeId}`,
    `/v1/employees/${emma.employeeId}/export`,
  ]) {
    const res = await w.api.send(path, { headers: bearer(w.tokens.hana) });
    expect(res.status, path).toBe(200);
    expect(holds(await res.text()), path).toBe(false);
  }
  expect(
    await superuserSql()`select count(*)::int as n from data_keys where employee_id = ${emma.employeeId} and wrapped is not null`,
  ).toEqual([{ n: 0 }]);
  expect(holds(await everythingStored())).toBe(false);

  // The ledger still adds up, and the audit chains still verify.
  expect(await w.balance(w.tokens.hana, emma.employeeId)).toEqual(balance);
  const reconciliation = (await (await w.api.send("/v1/reconciliation", { headers: bearer(w.tokens.sam) })).json()) as {
    drifted: unknown[];
  };
  expect(reconciliation.drifted).toEqual([]);
  const verification = (await (await w.api.send("/v1/audit/verification", { headers: bearer(w.tokens.ada) })).json()) as { valid: boolean };
  expect(verification.valid).toBe(true);
});
