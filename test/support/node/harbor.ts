/**
 * Loopback servers the tests steer: a fake Sentry that records envelopes (and can fail or hang on request),
 * a TCP gate in front of Postgres that can be closed (connections refused, as with a stopped server) or
 * made to hang (connections accepted, never answered), and CPU burners (one busy process per core) that make
 * the machine as loaded as a busy CI runner, and webhook receivers (`/receivers/<name>`) that record what they get
 * and answer as told. Tests in workerd reach its control API over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnection, createServer as createTcpServer, type Server, type Socket } from "node:net";
import { availableParallelism } from "node:os";
import type { ReceivedWebhook, ReceiverMode } from "../receiver";

export type SentryMode = "ok" | "fail" | "hang";
export type GateMode = "open" | "closed" | "hang";

export interface Harbor {
  url: string;
  port: number;
  gatePort: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A Sentry envelope: one JSON header line, then item header / payload line pairs. */
function parseEnvelope(raw: string): unknown[] {
  const lines = raw.split("\n").filter(Boolean);
  const items: unknown[] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    const header = JSON.parse(lines[i]!) as { type?: string };
    if (header.type === "event") items.push(JSON.parse(lines[i + 1]!));
  }
  return items;
}

export async function startHarbor(postgresPort: number): Promise<Harbor> {
  let sentryMode: SentryMode = "ok";
  let gateMode: GateMode = "open";
  const events: { raw: string; events: unknown[] }[] = [];
  const jwks = new Map<string, { body: string; fetches: number }>();
  const receivers = new Map<string, { mode: ReceiverMode; received: ReceivedWebhook[] }>();
  const receiver = (name: string) => {
    const found = receivers.get(name) ?? { mode: "ok" as ReceiverMode, received: [] };
    receivers.set(name, found);
    return found;
  };
  const sockets = new Set<Socket>();
  const burners: ChildProcess[] = [];
  const setCpuLoad = (on: boolean) => {
    if (on && burners.length === 0) {
      for (let i = 0; i < availableParallelism(); i++) burners.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    }
    if (!on) for (const burner of burners.splice(0)) burner.kill("SIGKILL");
    return burners.length;
  };

  const gate: Server = createTcpServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (gateMode === "hang") return; // accept and never answer
    const upstream = createConnection({ host: "127.0.0.1", port: postgresPort });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  const gatePort = (gate.address() as AddressInfo).port;

  async function setGate(mode: GateMode): Promise<void> {
    if (mode === "closed" && gate.listening) {
      await new Promise<void>((resolve) => {
        gate.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    } else if (mode !== "closed" && !gate.listening) {
      await new Promise<void>((resolve) => gate.listen(gatePort, "127.0.0.1", resolve));
    }
    if (mode === "hang") for (const socket of sockets) socket.destroy();
    gateMode = mode;
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://harbor").pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && /^\/api\/\d+\/envelope\/?$/.test(path)) {
      const raw = await readBody(req);
      events.push({ raw, events: parseEnvelope(raw) });
      if (sentryMode === "hang") return; // never answer
      return sentryMode === "fail" ? json(500, { detail: "sentry is down" }) : json(200, { id: "ok" });
    }
    const receiverName = /^\/(?:control\/)?receivers\/([\w-]+)/.exec(path)?.[1];
    if (receiverName && req.method === "POST" && path.startsWith("/receivers/")) {
      const target = receiver(receiverName);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      target.received.push({ path, headers, body: await readBody(req) });
      if (target.mode === "hang") return; // never answer
      if (target.mode === "redirect") {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/receivers/${receiverName}-elsewhere` });
        return res.end();
      }
      if (target.mode === "fail") return json(500, { message: "receiver is down" });
      res.writeHead(204);
      return res.end();
    }
    if (receiverName && req.method === "GET") return json(200, receiver(receiverName).received);
    if (receiverName && req.method === "POST") {
      const body = JSON.parse(await readBody(req)) as { mode?: ReceiverMode; clear?: boolean };
      const target = receiver(receiverName);
      if (body.mode) target.mode = body.mode;
      if (body.clear) target.received.length = 0;
      return json(200, { mode: target.mode });
    }
    const jwksName = /^\/(?:control\/)?jwks\/([\w-]+)$/.exec(path)?.[1];
    if (jwksName && req.method === "GET" && path.startsWith("/jwks/")) {
      const entry = jwks.get(jwksName) ?? { body: "", fetches: 0 };
      entry.fetches += 1;
      jwks.set(jwksName, entry);
      if (!entry.body) return json(404, { message: "no such JWKS" });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(entry.body);
    }
    if (jwksName && req.method === "POST") {
      jwks.set(jwksName, { body: await readBody(req), fetches: jwks.get(jwksName)?.fetches ?? 0 });
      return json(200, {});
    }
    if (jwksName && req.method === "GET") return json(200, { fetches: jwks.get(jwksName)?.fetches ?? 0 });
    if (req.method === "GET" && path === "/control/sentry") return json(200, events);
    if (req.method === "POST" && path === "/control/sentry") {
      const body = JSON.parse(await readBody(req)) as { mode?: SentryMode; clear?: boolean };
      if (body.mode) sentryMode = body.mode;
      if (body.clear) events.length = 0;
      return json(200, { mode: sentryMode });
    }
    if (req.method === "POST" && path === "/control/gate") {
      const body = JSON.parse(await readBody(req)) as { mode: GateMode };
      await setGate(body.mode);
      return json(200, { mode: gateMode });
    }
    if (req.method === "POST" && path === "/control/cpu-load") {
      const body = JSON.parse(await readBody(req)) as { on: boolean };
      return json(200, { burners: setCpuLoad(body.on) });
    }
    json(404, { message: "unknown harbor path" });
  });
  let port = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    gatePort,
    close: async () => {
      setCpuLoad(false);
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => (gate.listening ? gate.close(() => resolve()) : resolve())),
      ]);
    },
  };
}
