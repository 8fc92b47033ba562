/**
 * The API's contract, held against the running API (`npm run dev`: wrangler dev, real Postgres, the demo data):
 * a typed client generated from the OpenAPI document drives the demo journey, every answer is validated
 * against the document's schema for its status, and the reference page is checked in a real browser.
 */
import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import chromium from "@sparticuz/chromium";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import createClient, { type Middleware } from "openapi-fetch";
import puppeteer from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_HOLIDAY_DAYS, DEMO_PASSWORD, DEMO_POLICY_KEY } from "../../scripts/lib/seed-data";
import type { paths } from "../support/node/api-schema";
import { ctrlC, type DevServer, devServer, STARTUP_LIMIT_MS, waitFor } from "../support/node/dev-server";

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let server: DevServer;
let dev: ChildProcess;
let output = "";
let openapi: Json;

beforeAll(async () => {
  server = await devServer();
  dev = server.start();
  dev.stdout!.on("data", (d) => (output += d));
  dev.stderr!.on("data", (d) => (output += d));
  await waitFor(`${server.base}/health/ready`, dev, STARTUP_LIMIT_MS);
  openapi = (await (await fetch(`${server.base}/v1/openapi.json`)).json()) as Json;
}, STARTUP_LIMIT_MS + 10_000);

afterAll(async () => {
  if (dev) await ctrlC(dev);
  await server?.dispose();
});

/** Checks every answer against what the document says of its operation and status (schema and headers). */
function contractChecker() {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const problems: string[] = [];
  const checked: string[] = [];
  const middleware: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const operation = openapi.paths[schemaPath]?.[request.method.toLowerCase()];
      const label = `${request.method} ${schemaPath} → ${response.status}`;
      checked.push(label);
      const documented = operation?.responses?.[String(response.status)];
      if (!documented) return void problems.push(`${label}: status not documented`);
      for (const name of Object.keys(documented.headers ?? {})) {
        if (name === "Idempotent-Replayed") continue; // only on a replay, by definition
        if (!response.headers.has(name)) problems.push(`${label}: documented header ${name} missing`);
      }
      const schema = documented.content?.["application/json"]?.schema;
      if (!schema) return;
      // The document's components travel with the schema so that its `#/components/...` references resolve.
      const validate = ajv.compile({ ...schema, components: openapi.components });
      if (!validate(await response.clone().json())) problems.push(`${label}: ${ajv.errorsText(validate.errors)}`);
    },
  };
  return { middleware, problems, checked };
}

/** A working day six weeks ahead of the dev server's today (the demo data is laid out around today), a holiday of no demo calendar. */
function dayAhead(): string {
  const day = new Date(Date.now() + 42 * 86_400_000);
  while ([0, 6].includes(day.getUTCDay()) || DEMO_HOLIDAY_DAYS.has(day.toISOString().slice(0, 10))) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

describe("the typed client of the OpenAPI document", () => {
  it("drives the demo journey (login → balances → submit → approve), every answer as the document says", async () => {
    const contract = contractChecker();
    const client = createClient<paths>({ baseUrl: server.base });
    client.use(contract.middleware);
    const signIn = async (email: string) => {
      const { data, error } = await client.POST("/v1/auth/login", { body: { tenant: "acme", email, password: DEMO_PASSWORD } });
      expect(error).toBeUndefined();
      return { headers: { Authorization: `Bearer ${data!.access_token}` } };
    };

    const emma = await signIn("emma.employee@acme.example");
    const balances = await client.GET("/v1/me/balances", emma);
    const before = balances.data!.balances.find((b) => b.policy_key === DEMO_POLICY_KEY)!;
    expect(before.available).toBeGreaterThanOrEqual(1);

    const day = dayAhead();
    const submitted = await client.POST("/v1/requests", {
      ...emma,
      params: { header: { "idempotency-key": `contract-${crypto.randomUUID()}` } },
      body: { policy_key: DEMO_POLICY_KEY, start_date: day, end_date: day },
    });
    expect(submitted.response.status).toBe(201);
    expect(submitted.data).toMatchObject({ status: "pending", days: 1 });

    const mike = await signIn("mike.manager@acme.example");
    const inbox = await client.GET("/v1/approvals", mike);
    expect(inbox.data!.data.map((r) => r.id)).toContain(submitted.data!.id);
    const approved = await client.POST("/v1/requests/{id}/approve", {
      ...mike,
      params: { path: { id: submitted.data!.id }, header: { "idempotency-key": `contract-${crypto.randomUUID()}` } },
    });
    expect(approved.data?.status).toBe("approved");

    const after = await client.GET("/v1/me/balances", emma);
    expect(after.data!.balances.find((b) => b.policy_key === DEMO_POLICY_KEY)!.posted).toBe(before.posted - 1);
    // A refusal is part of the contract too.
    const missing = await client.GET("/v1/requests/{id}", { ...emma, params: { path: { id: crypto.randomUUID() } } });
    expect(missing.error?.error.code).toBe("RESOURCE_NOT_FOUND");

    expect(contract.checked.length).toBe(8);
    expect(contract.problems).toEqual([]);
  }, 60_000);
});

/** Records anything Chromium itself tries to fetch from a host other than this machine (it goes through this proxy). */
async function trapProxy(): Promise<{ server: Server; address: string; attempts: string[] }> {
  const attempts: string[] = [];
  const trap = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  trap.on("connect", (req, socket) => {
    attempts.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  return { server: trap, address: `127.0.0.1:${(trap.address() as AddressInfo).port}`, attempts };
}

describe("the API reference at /docs, in headless Chromium", () => {
  it("renders, finds POST /v1/requests by search, runs a try-it call against this server, and asks no other host", async () => {
    const trap = await trapProxy();
    const browser = await puppeteer.launch({
      executablePath: await chromium.executablePath(),
      headless: "shell",
      pipe: true,
      args: [
        "--no-sandbox",
        "--no-zygote",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--no-pings",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        `--proxy-server=http://${trap.address}`,
      ],
    });
    const requests: string[] = [];
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(20_000);
      await page.setViewport({ width: 1280, height: 900 });
      page.on("request", (r) => requests.push(r.url()));

      await page.goto(`${server.base}/docs`, { waitUntil: "networkidle0" });
      await page.waitForSelector('[id$="/description/getting-started"]');
      const headings = await page.$$eval("h1, h2", (hs) => hs.map((h) => h.textContent?.trim()));
      expect(headings).toEqual(expect.arrayContaining(["Leave Ledger API", "Getting started", "Idempotency keys", "Error codes"]));

      const search = async (text: string, operation: string) => {
        await page.keyboard.down("Control");
        await page.keyboard.press("k");
        await page.keyboard.up("Control");
        const input = await page.waitForSelector('[role="dialog"][aria-label="Search"] input[type="search"]');
        await input!.type(text);
        const hit = await page.waitForSelector(`[role="option"][id$="/${operation}"]`);
        const label = await hit!.evaluate((e) => e.textContent?.replace(/\s+/g, " ").trim());
        await hit!.click();
        return label;
      };
      expect(await search("/v1/requests", "POST/v1/requests")).toContain("Request leave");
      await page.waitForFunction('window.location.hash.endsWith("/POST/v1/requests")');

      // Try it: sign in as the demo employee with the example body the document gives.
      await search("/v1/auth/login", "POST/v1/auth/login");
      await page.locator('::-p-xpath(//button[contains(@class,"show-api-client-button")][contains(., "post /v1/auth/login")])').click();
      await page.locator('button[data-addressbar-action="send"]').click();
      await page.waitForFunction('document.body.innerText.includes("200 OK") && document.body.innerText.includes("access_token")');

      // An error's documentation_url opens the reference at that error's heading.
      const error = (await (await fetch(`${server.base}/v1/requests/${crypto.randomUUID()}`)).json()) as Json;
      await page.goto(error.error.documentation_url, { waitUntil: "networkidle0" });
      const heading = await page.waitForSelector('[id$="/description/unauthorized"]');
      expect(await heading!.evaluate((h) => h.textContent?.trim())).toBe("UNAUTHORIZED");
    } finally {
      await browser.close();
      await new Promise((resolve) => trap.server.close(resolve));
    }
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => new URL(url).origin !== server.base)).toEqual([]);
    expect(trap.attempts).toEqual([]);
    expect(requests).toContain(`${server.base}/v1/auth/login`);
    // The page's scripts are static assets, served before the Worker runs: they carry their own security headers.
    const bundle = await fetch(`${server.base}/docs/assets/scalar.js`);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(bundle.headers.get("x-content-type-options")).toBe("nosniff");
  }, 90_000);
});
