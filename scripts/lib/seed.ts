import pg from "pg";
import type { ClaimsSigningKey } from "../../src/db/claims";
import { demoLedgerStatements, seedStatements } from "./seed-data";

/** Loads the demo data; the demo ledger's function calls carry claims signed with `claimsKey` (DB_CLAIMS_KEY). */
export async function seedDatabase(databaseUrl: string, pinPepper: string, claimsKey: ClaimsSigningKey): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const statements = [...(await seedStatements(pinPepper)), ...(await demoLedgerStatements(new Date(), claimsKey))];
  try {
    await client.query("begin");
    for (const { text, values } of statements) await client.query(text, values);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  return statements.length;
}
