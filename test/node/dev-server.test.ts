/**
 * The README's first command, for real: `npm run dev` starts Postgres, the local Neon endpoint and
 * wrangler dev; Ctrl-C (SIGINT to the process group, as a terminal sends it) leaves no process behind; a
 * second run reuses the data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/embedded-postgres";
import { DEMO_BERLIN_CALENDAR, DEMO_PASSWORD, DEMO_POLICY_KEY, DEMO_VOLUNTEERING_POLICY_KEY } from "../../scripts/lib/seed-data";
import { ctrlC, type DevServer, devServer, STARTUP_LIMIT_MS, waitFor } from "../support/node/dev-server";

async function until(done: () => boolean, limitMs: number, step: () => Promise<void> = async () => {}): Promise<void> {
  const started = Date.now();
  for (await step(); !done(); await step()) {
    if (Date.now() - started > limitMs) throw new Error(`not done within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let server: DevServer;
let port: number;
let dataDir: string;
const startDev = (): ChildProcess => server.start();
const leftovers = () => server.leftovers();

beforeAll(async () => {
  server = await devServer();
  ({ port, dataDir } = server);
});
afterAll(() => server.dispose());

describe("npm run dev", () => {
  it("serves /health within 60 s, is ready with the demo data, and Ctrl-C stops everything", async () => {
    const dev = startDev();
    let output = "";
    dev.stdout!.on("data", (d) => (output += d));
    dev.stderr!.on("data", (d) => (output += d));
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await waitFor(`${base}/health`, dev, STARTUP_LIMIT_MS)).toBeLessThan(STARTUP_LIMIT_MS);
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect(await (await fetch(`${base}/v1/tenants/acme`)).json()).toMatchObject({ slug: "acme" });
      // The demo ledger: Mike signs in and finds Emma's request waiting for him.
      const login = await fetch(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant: "acme", email: "mike.manager@acme.example", password: DEMO_PASSWORD }),
      });
      const { access_token } = (await login.json()) as { access_token: string };
      const inbox = (await (await fetch(`${base}/v1/approvals`, { headers: { Authorization: `Bearer ${access_token}` } })).json()) as {
        data: { policy_key: string; status: string }[];
      };
      expect(inbox.data).toMatchObject([{ policy_key: DEMO_POLICY_KEY, status: "pending" }]);
      // Mike's yearly volunteering days were granted up front when the demo was loaded (no accrual run by hand).
      const balances = (await (await fetch(`${base}/v1/me/balances`, { headers: { Authorization: `Bearer ${access_token}` } })).json()) as {
        balances: { policy_key: string; posted: number }[];
      };
      expect(balances.balances.find((b) => b.policy_key === DEMO_VOLUNTEERING_POLICY_KEY)?.posted).toBeGreaterThanOrEqual(2);
      // A second holiday calendar, followed by the Berlin office.
      const calendars = (await (
        await fetch(`${base}/v1/holiday-calendars`, { headers: { Authorization: `Bearer ${access_token}` } })
      ).json()) as {
        data: { calendar: string; holidays: number }[];
      };
      expect(calendars.data.find((c) => c.calendar === DEMO_BERLIN_CALENDAR)).toMatchObject({ holidays: 4 });
      // Mike handed his approvals to Eli while he is away: Eli, an employee, finds Emma's request too.
      const eli = await fetch(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant: "acme", email: "eli.employee@acme.example", password: DEMO_PASSWORD }),
      });
      const elisToken = ((await eli.json()) as { access_token: string }).access_token;
      const delegated = (await (await fetch(`${base}/v1/approvals`, { headers: { Authorization: `Bearer ${elisToken}` } })).json()) as {
        data: { employee_name: string }[];
      };
      expect(delegated.data).toMatchObject([{ employee_name: "Emma Employee" }]);
      // The README's webhook demo: Sam subscribes the demo receiver, which prints Hana's new policy, its signature verified.
      const sam = await fetch(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant: "acme", email: "sam.admin@acme.example", password: DEMO_PASSWORD }),
      });
      const samsToken = ((await sam.json()) as { access_token: string }).access_token;
      const receiverPort = await freePort();
      const subscribed = await fetch(`${base}/v1/webhooks/subscriptions`, {
        method: "POST",
        headers: { Authorization: `Bearer ${samsToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/hooks`, event_types: ["policy.changed"] }),
      });
      expect(subscribed.status).toBe(201);
      const { secret } = (await subscribed.json()) as { secret: string };
      const receiver = spawn(resolve(import.meta.dirname, "../../node_modules/.bin/tsx"), ["scripts/webhook-receiver.ts"], {
        cwd: resolve(import.meta.dirname, "../.."),
        env: { ...process.env, WEBHOOK_SECRET: secret, WEBHOOK_RECEIVER_PORT: String(receiverPort) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        let printed = "";
        receiver.stdout!.on("data", (d) => (printed += d));
        await until(() => printed.includes("listening"), 15_000);
        const hana = await fetch(`${base}/v1/auth/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ tenant: "acme", email: "hana.hr@acme.example", password: DEMO_PASSWORD }),
        });
        const hanasToken = ((await hana.json()) as { access_token: string }).access_token;
        const policy = await fetch(`${base}/v1/policies`, {
          method: "POST",
          headers: { Authorization: `Bearer ${hanasToken}`, "Content-Type": "application/json" },
          body: JSON.stringify({ key: "webhook-demo", name: "Webhook demo", unit: "day", effective_from: "2020-01-01" }),
        });
        expect(policy.status, await policy.clone().text()).toBe(201);
        await until(() => printed.includes("verified policy.changed policy:webhook-demo #1"), 20_000);
      } finally {
        receiver.kill("SIGTERM");
      }
      // An operator's kill switch, offline: maintenance on in the local flag store (through wrangler dev's local
      // explorer, as the README shows) refuses writes within 10 s.
      const flags = `${base}/cdn-cgi/local/explorer/api/flagship/apps/leave-ledger-local/flags`;
      const created = await fetch(flags, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          key: "maintenance-mode",
          enabled: true,
          variations: { on: true, off: false },
          default_variation: "on",
          rules: [],
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const write = () =>
        fetch(`${base}/v1/policies`, {
          method: "POST",
          headers: { Authorization: `Bearer ${samsToken}`, "Content-Type": "application/json" },
          body: JSON.stringify({ key: "maintenance-demo", name: "Maintenance demo", unit: "day", effective_from: "2020-01-01" }),
        });
      let refused = 0;
      await until(
        () => refused === 503,
        15_000,
        async () => {
          refused = (await write()).status;
        },
      );
      expect(((await (await fetch(`${base}/health/ready`)).json()) as { maintenance: boolean }).maintenance).toBe(true);
      const off = await fetch(`${flags}/maintenance-mode`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ default_variation: "off" }),
      });
      expect(off.status, await off.clone().text()).toBe(200);
      // The daily job runs on demand.
      expect((await fetch(`${base}/__scheduled?cron=5+0+*+*+*`)).status).toBe(200);
      await waitFor(`${base}/health`, dev, 5_000);
      expect(output).toContain(`Leave Ledger is running at ${base}`);
    } finally {
      await ctrlC(dev);
    }
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("with the database stopped: /health 200, /health/ready and the API 503, the dev server keeps running", async () => {
    const dev = startDev();
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${base}/health`, dev, STARTUP_LIMIT_MS);
      const postgres = leftovers().find((line) => / -D \S*postgres/.test(line) && line.includes(dataDir));
      expect(postgres, "the dev server's postgres process").toBeDefined();
      process.kill(Number(postgres!.trim().split(/\s+/)[0]), "SIGINT");
      await new Promise((r) => setTimeout(r, 1_500));

      expect((await fetch(`${base}/health`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { failing: string[] }).failing).toEqual(["database"]);
      const api = await fetch(`${base}/v1/tenants/acme`);
      expect(api.status).toBe(503);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");
      expect(dev.exitCode).toBeNull();
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      await ctrlC(dev);
    }
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("a second run reuses the data", async () => {
    const dev = startDev();
    let output = "";
    dev.stdout!.on("data", (d) => (output += d));
    try {
      await waitFor(`http://127.0.0.1:${port}/health`, dev, STARTUP_LIMIT_MS);
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      expect(output).not.toContain("applied 0000");
    } finally {
      await ctrlC(dev);
    }
    expect(leftovers()).toEqual([]);
  }, 120_000);
});
