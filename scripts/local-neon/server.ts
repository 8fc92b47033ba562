/**
 * A local stand-in for Neon's serverless HTTP endpoint (`POST /sql`), so `@neondatabase/serverless` in HTTP
 * mode runs against an ordinary PostgreSQL. It speaks the protocol the driver speaks (see
 * test/node/local-neon.test.ts, which drives it with the real driver): one query, or a batch run as one
 * transaction honouring Neon-Batch-Isolation-Level / -Read-Only / -Deferrable; rows as raw text with field
 * type ids; Postgres error fields with HTTP 400 on failure.
 *
 * It also counts requests (database round trips) per `application_name`, which the driver passes through
 * from the connection string: `GET /stats?app=<name>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * How long a query may wait for a connection, new or pooled. Neon's pooler queues a burst rather than
 * refusing it, so this is longer than any client waits (the Worker gives up after DB_REQUEST_TIMEOUT_MS).
 */
const CONNECT_TIMEOUT_MS = 15_000;
const POOL_SIZE = 40;
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "read uncommitted",
  ReadCommitted: "read committed",
  RepeatableRead: "repeatable read",
  Serializable: "serializable",
};
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

interface QueryData {
  query: string;
  params?: unknown[];
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface LocalNeon {
  url: string;
  port: number;
  /** Round trips served so far for one application_name (or all of them). */
  roundTrips(app?: string): number;
  close(): Promise<void>;
}

export async function startLocalNeon(options: { port?: number; log?: (line: string) => void } = {}): Promise<LocalNeon> {
  const pools = new Map<string, pg.Pool>();
  const counts = new Map<string, number>();
  let total = 0;
  const log = options.log ?? (() => {});

  function poolFor(connectionString: string): pg.Pool {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({
        connectionString,
        max: POOL_SIZE,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        idleTimeoutMillis: 10_000,
        types: RAW_TEXT,
      });
      pool.on("error", (error) => log(`local-neon: idle client error: ${error.message}`));
      pools.set(connectionString, pool);
    }
    return pool;
  }

  async function handleSql(req: IncomingMessage): Promise<unknown> {
    const connectionString = header(req, "neon-connection-string");
    if (!connectionString) throw new RequestError(400, "missing Neon-Connection-String header");
    const url = parseConnectionString(connectionString);
    const body = parseBody(await readBody(req));
    const app = url.searchParams.get("application_name") ?? "";
    counts.set(app, (counts.get(app) ?? 0) + 1);
    total += 1;

    let client: pg.PoolClient;
    try {
      client = await poolFor(connectionString).connect();
    } catch (error) {
      throw new RequestError(503, `Couldn't connect to compute node: ${(error as Error).message}`);
    }
    let broken = false;
    try {
      const arrayMode = header(req, "neon-array-mode") === "true";
      if ("queries" in body) {
        const begin = beginStatement(req);
        await client.query(begin);
        try {
          const results = [];
          for (const query of body.queries) results.push(await run(client, query, arrayMode));
          await client.query("commit");
          return { results };
        } catch (error) {
          await client.query("rollback").catch(() => (broken = true));
          throw error;
        }
      }
      return await run(client, body, arrayMode);
    } catch (error) {
      if (error instanceof RequestError) throw error;
      const pgError = error as pg.DatabaseError & { code?: string };
      if (!pgError.severity) {
        broken = true;
        throw new RequestError(503, `Connection to database lost: ${pgError.message}`);
      }
      const fields: Record<string, unknown> = {};
      for (const field of ERROR_FIELDS) if (pgError[field] !== undefined) fields[field] = pgError[field];
      throw new RequestError(400, pgError.message, fields);
    } finally {
      client.release(broken);
    }
  }

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://local").pathname;
    const respond = (status: number, payload: unknown) => send(res, status, payload);
    if (req.method === "POST" && path === "/sql") {
      handleSql(req).then(
        (result) => respond(200, result),
        (error: unknown) => {
          if (error instanceof RequestError) respond(error.status, { message: error.message, ...error.fields });
          else respond(500, { message: "local-neon internal error" });
        },
      );
      return;
    }
    if (req.method === "GET" && path === "/stats") {
      const app = new URL(req.url ?? "/", "http://local").searchParams.get("app");
      respond(200, { round_trips: app === null ? total : (counts.get(app) ?? 0) });
      return;
    }
    respond(404, { message: "not found" });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sql`,
    port,
    roundTrips: (app) => (app === undefined ? total : (counts.get(app) ?? 0)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.end().catch(() => {})));
    },
  };
}

async function run(client: pg.PoolClient, data: QueryData, arrayMode: boolean) {
  const query = { text: data.query, values: data.params ?? [], types: RAW_TEXT };
  const result: pg.QueryResult<pg.QueryResultRow> = arrayMode
    ? await client.query({ ...query, rowMode: "array" as const })
    : await client.query(query);
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((field) => ({ ...field, format: "text" })),
    rowAsArray: arrayMode,
  };
}

function beginStatement(req: IncomingMessage): string {
  const isolation = header(req, "neon-batch-isolation-level");
  const parts = ["begin"];
  if (isolation) {
    const level = ISOLATION_LEVELS[isolation];
    if (!level) throw new RequestError(400, `invalid Neon-Batch-Isolation-Level: ${isolation}`);
    parts.push(`isolation level ${level}`);
  }
  if (header(req, "neon-batch-read-only") === "true") parts.push("read only");
  if (header(req, "neon-batch-deferrable") === "true") parts.push("deferrable");
  return parts.join(" ");
}

function parseConnectionString(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RequestError(400, "invalid Neon-Connection-String");
  }
  // A development tool, not an open proxy: only databases on this machine.
  if (!LOOPBACK_HOSTS.has(url.hostname)) throw new RequestError(400, `host ${url.hostname} is not on loopback`);
  return url;
}

function parseBody(raw: string): QueryData | { queries: QueryData[] } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new RequestError(400, "request body is not valid JSON");
  }
  const isQuery = (value: unknown): value is QueryData =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as QueryData).query === "string" &&
    ((value as QueryData).params === undefined || Array.isArray((value as QueryData).params));
  if (typeof body === "object" && body !== null && Array.isArray((body as { queries?: unknown }).queries)) {
    const queries = (body as { queries: unknown[] }).queries;
    if (!queries.every(isQuery)) throw new RequestError(400, "every batch item needs a query string");
    return { queries };
  }
  if (!isQuery(body)) throw new RequestError(400, "body needs a query string");
  return body;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
