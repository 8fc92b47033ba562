import pg from "pg";
import { SET_SIGNED_CLAIMS_SQL, signClaims } from "../../src/db/claims";
import { DB_ROLES } from "../../src/db/roles";
import { parseClaimsKey } from "../lib/claims-keys";
import type { LocalStack } from "../lib/local-stack";
import { ACME } from "../lib/seed-data";

const CALLS = 100_000;
const ROUNDS = 5;

/**
 * What verifying signed claims costs in Postgres: `app.claims()` called once per row over CALLS rows, as the
 * app role with claims signed like the Worker's, against reading the same setting unverified (what
 * `app.claims()` did before claims were signed), minus the scan itself. Per call, medians of ROUNDS.
 */
export async function claimsCheckCost(stack: LocalStack, claimsKey: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.workerDatabaseUrl });
  await client.connect();
  const key = parseClaimsKey(claimsKey);
  const person = ACME.people[0]!;
  const claims = { caller: "user", sub: person.userId, tenant_id: ACME.id, employee_id: person.employeeId, roles: person.roles };
  const time = async (condition: string) => {
    const started = performance.now();
    await client.query(`select count(*) from generate_series(1, ${CALLS}) g where ${condition}`);
    return performance.now() - started;
  };
  const samples = { verified: [] as number[], unverified: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await client.query("begin");
      await client.query(`set local role ${DB_ROLES.app}`);
      const signed = await signClaims(claims, key);
      await client.query(SET_SIGNED_CLAIMS_SQL, [signed.claims, signed.signature]);
      const scan = await time("'x' <> g::text");
      samples.verified.push(((await time("app.claims() ->> 'tenant_id' <> g::text")) - scan) / CALLS);
      samples.unverified.push(
        ((await time("current_setting('request.jwt.claims', true)::jsonb ->> 'tenant_id' <> g::text")) - scan) / CALLS,
      );
      await client.query("commit");
    }
  } finally {
    await client.end();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  return [
    `Claims check (app.claims(): HMAC-SHA256 with the key of the kid, exp), once per row over ${CALLS} rows, medians of ${ROUNDS}:`,
    `  verified ${us(median(samples.verified))} per call; the unsigned setting read as before ${us(median(samples.unverified))}`,
  ];
}
