/**
 * Loads the demo tenants (scripts/lib/seed-data.ts) into SEED_DATABASE_URL or DATABASE_URL. Idempotent. The demo
 * ledger's calls carry claims signed with DB_CLAIMS_KEY, which the database must hold (npm run db:claims-key), and its
 * confidential fields are sealed under DATA_KEK, as the Worker seals them.
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
const dataKek = process.env.DATA_KEK;
if (!dataKek) {
  console.error("Set DATA_KEK to the deployment's key-encryption key: the demo's confidential fields are sealed under it.");
  process.exit(2);
}
try {
  const count = await seedDatabase(url, { pinPepper: pepper, claimsKey: parseClaimsKey(process.env.DB_CLAIMS_KEY), dataKek });
  console.log(`seeded ${count} statements (existing rows kept)`);
} catch (error) {
  console.error(`seed failed: ${(error as Error).message}`);
  process.exit(1);
}
