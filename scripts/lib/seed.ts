import pg from "pg";
import { demoLedgerStatements, seedStatements } from "./seed-data";

export async function seedDatabase(databaseUrl: string, pinPepper: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const statements = [...(await seedStatements(pinPepper)), ...demoLedgerStatements(new Date())];
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
