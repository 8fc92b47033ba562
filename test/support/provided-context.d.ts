/** Values the global setup (test/support/node/global-setup.ts) provides to every test. */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Worker's DATABASE_URL: the login role without privileges of its own. */
    databaseUrl: string;
    /** Same database behind the harbor's gate, which tests can close or make hang. */
    gatedDatabaseUrl: string;
    superuserDatabaseUrl: string;
    /** The schema owner: what `npm run db:claims-key` connects as. */
    ownerDatabaseUrl: string;
    neonEndpoint: string;
    harborUrl: string;
    sentryDsn: string;
  }
}
