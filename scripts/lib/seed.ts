import pg from "pg";
import type { ClaimsSigningKey } from "../../src/db/claims";
import { dataKekSchema } from "../../src/kernel/config";
import { demoLedgerStatements, seedStatements } from "./seed-data";

/**
 * Loads the demo data; the demo ledger's function calls carry claims signed with `claimsKey` (DB_CLAIMS_KEY), and
 * its confidential fields are sealed like the Worker's, under `dataKek` (DATA_KEK, a JWK).
 */
export async function seedDatabase(
  databaseUrl: string,
  secrets: { pinPepper: string; claimsKey: ClaimsSigningKey; dataKek: string },
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const statements = [
    ...(await seedStatements(secrets.pinPepper)),
    ...(await demoLedgerStatements(new Date(), secrets.claimsKey, dataKekSchema.parse(secrets.dataKek), async (employeeId, year) => {
      const { rows } = await client.query<{ id: string; wrapped: Buffer | null; kek_id: string | null }>(
        "select id, wrapped, kek_id from data_keys where employee_id = $1 and year = $2",
        [employeeId, year],
      );
      const row = rows[0];
      return row ? { id: row.id, wrapped: row.wrapped === null ? null : new Uint8Array(row.wrapped), kekId: row.kek_id } : null;
    })),
  ];
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
