/**
 * Loads the demo tenants (scripts/lib/seed-data.ts) into SEED_DATABASE_URL or DATABASE_URL. Idempotent. The demo
 * ledger's calls carry claims signed with DB_CLAIMS_KEY, which the database must hold (npm run db:claims-key).
 */
import { parseClaimsKey } from "./lib/claims-keys";
import { seedDatabase } from "./lib/seed";

const url = process.env.SEED_DATABASE_URL ?? process.env.DATABASE_URL;
if (!url) {
  console.error("Set SEED_DATABASE_URL (or DATABASE_URL): a role that bypasses RLS, such as the database owner on Neon.");
  process.exit(2);
}
const pepper = process.env.PIN_PEPPER;
if (!pepper) {
  console.error("Set PIN_PEPPER to the deployment's pepper: demo PIN hashes are keyed with it.");
  process.exit(2);
}
try {
  const count = await seedDatabase(url, pepper, parseClaimsKey(process.env.DB_CLAIMS_KEY));
  console.log(`seeded ${count} statements (existing rows kept)`);
} catch (error) {
  console.error(`seed failed: ${(error as Error).message}`);
  process.exit(1);
}
