import { DB_ROLES } from "../../src/db/roles";
import { type LocalNeon, startLocalNeon } from "../local-neon/server";
import { installClaimsKeys, parseClaimsKey } from "./claims-keys";
import { ensureDatabase, type LocalPostgres, startLocalPostgres } from "./embedded-postgres";
import { migrateUp } from "./migrator";
import { seedDatabase } from "./seed";

export const DATABASE_NAME = "leave_ledger";

/** Everything the Worker needs from "outside" to run on one machine: Postgres and Neon's HTTP endpoint. */
export interface LocalStack {
  postgres: LocalPostgres;
  neon: LocalNeon;
  /** What the Worker gets as DATABASE_URL: the login role without privileges of its own. */
  workerDatabaseUrl: string;
  /** Schema owner: migrations. */
  ownerDatabaseUrl: string;
  /** Superuser: seeding and test fixtures (bypasses RLS). */
  superuserDatabaseUrl: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: {
  dataDir: string;
  persistent: boolean;
  /** The Worker's DB_CLAIMS_KEY (a JWK): installed as the one key the database verifies claims with. */
  claimsKey: string;
  /** Load the demo data: PIN hashes keyed by this pepper, confidential fields sealed under this DATA_KEK (a JWK). */
  seed?: { pinPepper: string; dataKek: string };
  log?: (line: string) => void;
}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const postgres = await startLocalPostgres({ dataDir: options.dataDir, persistent: options.persistent });
  try {
    await ensureDatabase(postgres.superuserUrl(), DATABASE_NAME, DB_ROLES.owner);
    const ownerDatabaseUrl = `postgres://${DB_ROLES.owner}@127.0.0.1:${postgres.port}/${DATABASE_NAME}`;
    const superuserDatabaseUrl = postgres.superuserUrl(DATABASE_NAME);
    const claimsKey = parseClaimsKey(options.claimsKey);
    await migrateUp(ownerDatabaseUrl, {
      log: (line) => log(`migrations: ${line}`),
      beforeRepeatables: async () => void (await installClaimsKeys(ownerDatabaseUrl, [claimsKey], { exclusive: true })),
    });
    if (options.seed) await seedDatabase(superuserDatabaseUrl, { ...options.seed, claimsKey });
    const neon = await startLocalNeon({ log });
    return {
      postgres,
      neon,
      workerDatabaseUrl: `postgres://${DB_ROLES.authenticator}@127.0.0.1:${postgres.port}/${DATABASE_NAME}`,
      ownerDatabaseUrl,
      superuserDatabaseUrl,
      stop: async () => {
        await neon.close();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
