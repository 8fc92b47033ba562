import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalPostgres, startLocalPostgres } from "../../../scripts/lib/embedded-postgres";

/** A PostgreSQL cluster of its own for one test file, deleted afterwards. */
export async function startThrowawayPostgres(): Promise<LocalPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "leave-ledger-pg-"));
  await chmod(dir, 0o755); // Postgres runs as its own user when tests run as root
  const postgres = await startLocalPostgres({ dataDir: join(dir, "data"), persistent: false });
  return {
    ...postgres,
    stop: async () => {
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
