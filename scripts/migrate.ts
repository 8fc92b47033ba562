/**
 * Migration runner. `tsx scripts/migrate.ts up | down [steps] | status`, against MIGRATION_DATABASE_URL
 * (or DATABASE_URL): a role that owns the schema and may create roles, not the Worker's login role.
 */
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
    const ran = await migrateUp(url, log);
    console.log(ran.length ? `${ran.length} migration(s) applied` : "already up to date");
  } else if (command === "down") {
    const steps = arg === undefined ? 1 : Number(arg);
    if (!Number.isInteger(steps) || steps < 1) throw new Error("down takes a positive number of steps");
    await migrateDown(url, steps, log);
  } else if (command === "status") {
    for (const { tag, applied } of await migrationStatus(url)) console.log(`${applied ? "applied" : "pending"}  ${tag}`);
  } else {
    throw new Error(`unknown command ${command}: use up, down [steps] or status`);
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exit(1);
}
