/**
 * Migration runner. `tsx scripts/migrate.ts up | down [steps] | status`, against MIGRATION_DATABASE_URL
 * (or DATABASE_URL): a role that owns the schema and may create roles, not the Worker's login role.
 * `up` applies pending versioned migrations, then every changed repeatable (migrations/functions); `down`
 * undoes the newest steps of either kind. With DB_CLAIMS_KEY (and DB_CLAIMS_PREVIOUS_KEY) set, `up` installs
 * those claims keys between the two kinds, before the claims check (functions/10_claims.sql) can apply.
 */
import { installClaimsKeys, parseClaimsKey } from "./lib/claims-keys";
import { migrateDown, migrateUp, migrationStatus } from "./lib/migrator";

const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL;
if (!url) {
  console.error("Set MIGRATION_DATABASE_URL (or DATABASE_URL) to the database to migrate.");
  process.exit(2);
}
const [command = "up", arg] = process.argv.slice(2);
const log = (line: string) => console.log(line);

try {
  if (command === "up") {
    const keys = [
      ...(process.env.DB_CLAIMS_KEY ? [parseClaimsKey(process.env.DB_CLAIMS_KEY)] : []),
      ...(process.env.DB_CLAIMS_PREVIOUS_KEY ? [parseClaimsKey(process.env.DB_CLAIMS_PREVIOUS_KEY, "DB_CLAIMS_PREVIOUS_KEY")] : []),
    ];
    const beforeRepeatables = async () => {
      if (!keys.length) return;
      const { added } = await installClaimsKeys(url, keys);
      log(
        added.length
          ? `installed claims key(s) ${added.join(", ")}`
          : `claims key(s) ${keys.map((k) => k.kid).join(", ")} already installed`,
      );
    };
    const ran = await migrateUp(url, { log, beforeRepeatables });
    console.log(ran.length ? `${ran.length} step(s) applied` : "already up to date");
  } else if (command === "down") {
    const steps = arg === undefined ? 1 : Number(arg);
    if (!Number.isInteger(steps) || steps < 1) throw new Error("down takes a positive number of steps");
    await migrateDown(url, steps, { log });
  } else if (command === "status") {
    for (const { name, status } of await migrationStatus(url)) console.log(`${status.padEnd(8)} ${name}`);
  } else {
    throw new Error(`unknown command ${command}: use up, down [steps] or status`);
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exit(1);
}
