/**
 * The ledger's part of `npm run bench`: Postgres round trips per call of each ledger endpoint, the cost of a
 * balance read with 100 000 entries of history against one with 100, leave submissions per second from
 * 50 concurrent clients on distinct employees, and an accrual run over a tenant of 50 000 employees. Fixtures go in as the superuser; everything measured goes
 * through the running Worker.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import pg from "pg";
import type { LocalStack } from "../lib/local-stack";
import { DEMO_PASSWORD, type SeedPerson, type SeedTenant, seedStatements } from "../lib/seed-data";
import { isoDay, LOAD_LEAD_DAYS, workingDaysAhead } from "./calendar";
import { cpuByProgram, cpuPerUnit, residentMbByProgram } from "./process-cpu";

const EMPLOYEES = 50;
const SMALL_HISTORY = 100;
const LARGE_HISTORY = 100_000;
/** Entries after the newest snapshot (snapshots are taken every 100 entries, so a read sees up to 99). */
const SINCE_SNAPSHOT = 50;
const POLICY = "bench-pto";

export interface LedgerBenchResult {
  lines: string[];
  errors: number;
}

function benchTenant(): SeedTenant {
  const id = crypto.randomUUID();
  const person = (n: number, roles: SeedPerson["roles"]): SeedPerson => ({
    userId: crypto.randomUUID(),
    employeeId: crypto.randomUUID(),
    email: `bench${n}@bench.example`,
    displayName: `Bench ${n}`,
    employeeNumber: `B-${n}`,
    timeZone: "UTC",
    hireDate: "2020-01-01",
    managerEmployeeId: null,
    roles,
  });
  return {
    id,
    slug: "bench",
    name: "Bench Ltd",
    people: [
      person(0, ["employee", "hr_admin", "system_admin"]),
      ...Array.from({ length: EMPLOYEES + 2 }, (_, i) => person(i + 1, ["employee"])),
    ],
  };
}

async function fixtures(stack: LocalStack, pinPepper: string, tenant: SeedTenant) {
  const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
  await db.connect();
  try {
    for (const statement of await seedStatements(pinPepper, [tenant])) await db.query(statement.text, statement.values);
    const admin = tenant.people[0]!;
    const employeeIds = tenant.people.map((p) => p.employeeId);
    await db.query(
      `insert into leave_policies (tenant_id, key, version, name, unit, effective_from, created_by) values ($1, $2, 1, 'Bench PTO', 'day', '2020-01-01', $3)`,
      [tenant.id, POLICY, admin.userId],
    );
    await db.query(
      `insert into policy_assignments (tenant_id, employee_id, policy_key, starts_on, created_by) select $1, e, $2, '2020-01-01', $3 from unnest($4::uuid[]) e`,
      [tenant.id, POLICY, admin.userId, employeeIds],
    );
    await db.query(`insert into ledger_accounts (tenant_id, employee_id, policy_key) select $1, e, $2 from unnest($3::uuid[]) e`, [
      tenant.id,
      POLICY,
      employeeIds,
    ]);
    // Every account gets a large grant; the two history accounts get their entries, a snapshot, and entries since.
    const history = async (employeeId: string, entries: number) => {
      const insert = (count: number) =>
        db.query(
          `insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference)
           select a.tenant_id, a.id, a.employee_id, a.policy_key, 'adjustment', case when n % 2 = 0 then 1 else -1 end,
                  date '2021-01-01' + (n % 1500), 'bench:' || n || ':' || $3
           from ledger_accounts a cross join generate_series(1, $2::int) n where a.employee_id = $1 and a.policy_key = '${POLICY}'`,
          [employeeId, count, crypto.randomUUID()],
        );
      await insert(entries - SINCE_SNAPSHOT);
      await db.query(`select app.take_snapshot(id, current_date, now()) from ledger_accounts where employee_id = $1 and policy_key = $2`, [
        employeeId,
        POLICY,
      ]);
      await insert(SINCE_SNAPSHOT);
    };
    const [small, large] = tenant.people.slice(-2);
    await history(small!.employeeId, SMALL_HISTORY);
    await history(large!.employeeId, LARGE_HISTORY);
    await db.query(
      `insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference)
       select tenant_id, id, employee_id, policy_key, 'grant', 100000, '2020-01-01', 'bench:grant' from ledger_accounts where tenant_id = $1`,
      [tenant.id],
    );
    await db.query("analyze");
    return { small: small!, large: large! };
  } finally {
    await db.end();
  }
}

async function login(base: string, person: SeedPerson, tenant = "bench"): Promise<string> {
  const res = await fetch(`${base}/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": "127.0.0.3" },
    body: JSON.stringify({ tenant, email: person.email, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`bench login of ${person.email}: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * The approvals inbox (50 per page) over requests without a reason against requests whose reasons the Worker
 * opens (one data key per employee and year, read with the page), interleaved rounds on one admin's inbox: the
 * submissions above left the plain requests first (oldest first) and the sealed ones after them.
 */
async function inboxCost(base: string, token: string, options: { seconds: number; rounds: number }): Promise<string[]> {
  const page = async (cursor: string | null) => {
    const res = await fetch(`${base}/v1/approvals?limit=50${cursor ? `&cursor=${cursor}` : ""}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`inbox answered ${res.status}`);
    return (await res.json()) as { data: { reason: string | null }[]; pagination: { next_cursor: string | null } };
  };
  let sealedCursor: string | null | undefined;
  for (let cursor: string | null = null; sealedCursor === undefined; ) {
    const next = await page(cursor);
    if (next.data.length === 50 && next.data.every((r) => r.reason !== null)) sealedCursor = cursor;
    else if (next.pagination.next_cursor) cursor = next.pagination.next_cursor;
    else return ["", "Approvals inbox: not measured (the submissions left no full page of sealed reasons)"];
  }
  const measure = async (cursor: string | null) => {
    const result = await autocannon({
      url: `${base}/v1/approvals?limit=50${cursor ? `&cursor=${cursor}` : ""}`,
      connections: 10,
      duration: options.seconds,
      headers: { authorization: `Bearer ${token}` },
    });
    if (result.errors + result.non2xx > 0) throw new Error(`inbox: ${result.errors + result.non2xx} failed`);
    return result.requests.average;
  };
  const plain: number[] = [];
  const opened: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const which of round % 2 === 0 ? ["plain", "sealed"] : ["sealed", "plain"]) {
      if (which === "plain") plain.push(await measure(null));
      else opened.push(await measure(sealedCursor));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [
    "",
    `Approvals inbox, pages of 50, 10 connections, medians of ${options.rounds} interleaved rounds`,
    `  without reasons ${median(plain).toFixed(0)} req/s; with sealed reasons ${median(opened).toFixed(0)} req/s; ratio ${(median(opened) / median(plain)).toFixed(2)}`,
  ];
}

/** How many of the tenant's audit chains hold rows: concurrent writers should have spread over several. */
async function auditChainsUsed(stack: LocalStack, tenantId: string): Promise<number> {
  const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: number }>("select count(distinct chain)::int as n from audit_log where tenant_id = $1", [
      tenantId,
    ]);
    return rows[0]!.n;
  } finally {
    await db.end();
  }
}

const LARGE_TENANT_EMPLOYEES = 50_000;
const ACCRUAL_CHUNK = 100;

/**
 * A tenant of 50 000 employees under a monthly policy assigned three months ago: the accrual endpoint run
 * chunk by chunk over all of them (catching up three periods each), then once more (nothing due).
 */
async function accrualAtScale(base: string, stack: LocalStack, pinPepper: string): Promise<string[]> {
  const admin: SeedPerson = {
    userId: crypto.randomUUID(),
    employeeId: crypto.randomUUID(),
    email: "admin@large.example",
    displayName: "Large Admin",
    employeeNumber: "L-0",
    timeZone: "UTC",
    hireDate: "2020-01-01",
    managerEmployeeId: null,
    roles: ["employee", "hr_admin", "system_admin"],
  };
  const tenant: SeedTenant = { id: crypto.randomUUID(), slug: "large", name: "Large Corp", people: [admin] };
  const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
  await db.connect();
  try {
    for (const statement of await seedStatements(pinPepper, [tenant])) await db.query(statement.text, statement.values);
    await db.query(
      `with s as (select n, gen_random_uuid() as uid from generate_series(1, $2::int) n),
            u as (insert into users (id, tenant_id, email, display_name) select uid, $1, 'e' || n || '@large.example', 'E ' || n from s)
       insert into employees (tenant_id, user_id, employee_number, time_zone, hire_date)
       select $1, uid, 'L-' || n, (array['UTC', 'Pacific/Honolulu', 'Pacific/Kiritimati', 'Europe/Berlin', 'Asia/Tokyo'])[n % 5 + 1], '2020-01-01' from s`,
      [tenant.id, LARGE_TENANT_EMPLOYEES],
    );
    await db.query(
      `insert into leave_policies (tenant_id, key, version, name, unit, accrual_period, accrual_amount, effective_from, created_by)
       values ($1, 'monthly', 1, 'Monthly', 'day', 'monthly', 2, '2020-01-01', $2)`,
      [tenant.id, admin.userId],
    );
    const threeMonthsAgo = new Date();
    threeMonthsAgo.setUTCDate(1);
    threeMonthsAgo.setUTCMonth(threeMonthsAgo.getUTCMonth() - 2);
    await db.query(
      `insert into policy_assignments (tenant_id, employee_id, policy_key, starts_on, created_by) select $1, id, 'monthly', $2, $3 from employees where tenant_id = $1`,
      [tenant.id, threeMonthsAgo.toISOString().slice(0, 10), admin.userId],
    );
    await db.query(
      `insert into ledger_accounts (tenant_id, employee_id, policy_key) select $1, id, 'monthly' from employees where tenant_id = $1`,
      [tenant.id],
    );
    await db.query("analyze");
  } finally {
    await db.end();
  }
  const token = await login(base, admin, "large");
  const run = async () => {
    const times: number[] = [];
    let accruals = 0;
    let after: string | null = null;
    do {
      const started = performance.now();
      const res = await fetch(`${base}/v1/accruals/runs`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
        body: JSON.stringify({ after, limit: ACCRUAL_CHUNK }),
      });
      if (!res.ok) throw new Error(`accrual chunk answered ${res.status}: ${await res.text()}`);
      times.push(performance.now() - started);
      const chunk = (await res.json()) as { accruals: number; next_after: string | null };
      accruals += chunk.accruals;
      after = chunk.next_after;
    } while (after);
    const total = times.reduce((a, b) => a + b, 0);
    return `${times.length} chunks of ${ACCRUAL_CHUNK} employees, ${accruals} accruals posted, ${(total / 1000).toFixed(1)} s in all, slowest chunk ${Math.max(...times).toFixed(0)} ms`;
  };
  const accrualLines = [
    "",
    `Accrual run over a tenant of ${LARGE_TENANT_EMPLOYEES.toLocaleString("en")} employees (3 months due each, 1 round trip per chunk)`,
    `  first run:  ${await run()}`,
    `  second run: ${await run()}`,
  ];
  return [...accrualLines, ...(await peopleReads(base, stack, tenant.id, admin.userId, token)), ...(await tenantExport(base, token))];
}

/** Of the large tenant, one employee in this many is out in the absences window. */
const OUT_ONE_IN = 20;
const READ_SAMPLES = 40;

/** p50 and p95 of `samples` sequential calls of `path` (each must answer 200), in ms. */
async function latency(base: string, token: string, paths: () => string, samples = READ_SAMPLES) {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const res = await fetch(base + paths(), { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${paths()} answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms (${samples} calls)`;
}

/**
 * The latency of a cursor-paginated list's pages: its first READ_SAMPLES page cursors read once, then the samples
 * go round them, so the first page and the deep ones count alike.
 */
async function roundPages(base: string, token: string, path: string) {
  const at = (cursor: string | null) => `${path}${cursor ? `&cursor=${cursor}` : ""}`;
  const cursors: (string | null)[] = [null];
  while (cursors.length < READ_SAMPLES) {
    const res = await fetch(base + at(cursors.at(-1)!), { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    const next = ((await res.json()) as { pagination: { next_cursor: string | null } }).pagination.next_cursor;
    if (!next) break;
    cursors.push(next);
  }
  let page = 0;
  return `${await latency(base, token, () => at(cursors[page++ % cursors.length]!))}, ${cursors.length} pages`;
}

/**
 * The people reads of the large tenant: who is out (one employee in OUT_ONE_IN with a week of approved leave in
 * a two-week window, pages of 500), and the directory (a search, and a page deep into the sorted list).
 */
async function peopleReads(base: string, stack: LocalStack, tenantId: string, adminUserId: string, token: string): Promise<string[]> {
  const [from, to] = [isoDay(14), isoDay(27)];
  const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
  await db.connect();
  try {
    await db.query(
      `with out as (
         select e.id as employee_id, a.id as account_id, p.id as policy_id, gen_random_uuid() as request_id,
                $3::date + (row_number() over (order by e.id))::int % 7 as start_date
         from employees e join ledger_accounts a on a.employee_id = e.id
         join leave_policies p on p.tenant_id = e.tenant_id and p.key = a.policy_key and p.version = 1
         where e.tenant_id = $1 and e.employee_number ~ '^L-[0-9]+$' and substr(e.employee_number, 3)::int % $2 = 0
       ), requests as (
         insert into leave_requests (id, tenant_id, employee_id, account_id, policy_key, policy_version_id, start_date, end_date, start_part, end_part,
                                     days, amount, approvals_required, status, expires_at, submitted_by, submitted_at, resolved_at)
         select request_id, $1, employee_id, account_id, 'monthly', policy_id, start_date, start_date + 6, 'morning', 'evening',
                7, 7, 1, 'approved', now(), $4, now(), now() from out returning id
       )
       insert into booked_days (tenant_id, employee_id, day, half, request_id)
       select $1, o.employee_id, o.start_date + d, h.half::day_half, o.request_id
       from out o cross join generate_series(0, 6) d cross join (values ('morning'), ('afternoon')) h(half)
       where (select count(*) from requests) > 0`,
      [tenantId, OUT_ONE_IN, from, adminUserId],
    );
    await db.query("analyze");
  } finally {
    await db.end();
  }
  const absences = await roundPages(base, token, `/v1/absences?from=${from}&to=${to}&scope=tenant&limit=500`);
  let n = 0;
  const search = await latency(base, token, () => `/v1/employees?q=${encodeURIComponent(`E ${1000 + (n++ % 9000)}`)}&limit=50`);
  const deep = await latency(base, token, () => `/v1/employees?sort=name&offset=${25_000 + (n++ % 100) * 200}&limit=200`);
  const report = await roundPages(base, token, "/v1/reports/balances?limit=200");
  const usage = await roundPages(base, token, `/v1/reports/usage?from=${from}&to=${to}&limit=200`);
  return [
    "",
    `People reads and reports of the same ${LARGE_TENANT_EMPLOYEES.toLocaleString("en")}-employee tenant (goal for who is out: p95 < 200 ms a page)`,
    `  GET /v1/absences, ${(LARGE_TENANT_EMPLOYEES / OUT_ONE_IN).toLocaleString("en")} people out in 14 days, pages of 500: ${absences}`,
    `  GET /v1/employees?q= (search of 50 000 names, emails, numbers): ${search}`,
    `  GET /v1/employees?sort=name&offset=25 000&limit=200: ${deep}`,
    `  GET /v1/reports/balances, pages of 200 employees: ${report}`,
    `  GET /v1/reports/usage (14 days), pages of 200 employees: ${usage}`,
  ];
}

/**
 * The large tenant's NDJSON export (GET /v1/tenant/export), read to the end as a client would: time, size, and
 * the Worker's resident memory sampled while it streams, against before (it must stay far under the 128 MB an
 * isolate may use: the export holds one page at a time).
 */
async function tenantExport(base: string, token: string): Promise<string[]> {
  const before = residentMbByProgram().get("workerd");
  let peak = before ?? 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentMbByProgram().get("workerd") ?? 0);
  }, 50);
  const started = performance.now();
  const res = await fetch(`${base}/v1/tenant/export`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok || !res.body) throw new Error(`the tenant export answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const memory =
    before === undefined
      ? "memory not measured (no /proc)"
      : `workerd resident memory ${before.toFixed(0)} MB before, at most ${peak.toFixed(0)} MB while streaming (+${(peak - before).toFixed(0)} MB)`;
  return [
    "",
    `Tenant export of the same ${LARGE_TENANT_EMPLOYEES.toLocaleString("en")} employees (NDJSON, 1 000 records per round trip)`,
    `  ${lines.toLocaleString("en")} records, ${(bytes / 1_048_576).toFixed(1)} MB in ${seconds.toFixed(1)} s (${Math.round(lines / seconds).toLocaleString("en")} records/s); ${memory}`,
  ];
}

/**
 * The cost of webhooks on submissions: a System Admin subscribes a receiver on 127.0.0.1 (answers 204) to
 * `leave_request.submitted`, then the same load runs: each submission writes its delivery, hands it to the queue
 * after its answer, and the consumer sends it. Answers the load's result and how long the deliveries took to drain.
 */
async function webhookCost(base: string, stack: LocalStack, token: string, load: () => Promise<autocannon.Result>) {
  const ids = new Set<string>();
  let posts = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      posts++;
      ids.add(String(req.headers["webhook-id"]));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
  await db.connect();
  try {
    const { port } = receiver.address() as AddressInfo;
    const res = await fetch(`${base}/v1/webhooks/subscriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hooks`, event_types: ["leave_request.submitted"] }),
    });
    if (res.status !== 201) throw new Error(`webhook subscription failed: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    const run = await load();
    const ended = Date.now();
    // Every event the load committed (requests still in flight when autocannon stopped counting included).
    const events = async () =>
      Number((await db.query("select count(*) as n from webhook_deliveries where subscription_id = $1", [id])).rows[0].n);
    let last = ended;
    for (let seen = -1; ids.size < (await events()) && Date.now() - ended < 60_000; await new Promise((r) => setTimeout(r, 100))) {
      if (ids.size !== seen) [seen, last] = [ids.size, Date.now()];
    }
    return { run, events: await events(), delivered: ids.size, repeats: posts - ids.size, drainSeconds: (last - ended) / 1000 };
  } finally {
    await db.end();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

export async function ledgerBench(options: {
  base: string;
  stack: LocalStack;
  pinPepper: string;
  connections: number;
  seconds: number;
  rounds: number;
  /** Only the submissions (BENCH_ONLY=submissions, for the write path) or only the large tenant (scale). */
  only: "submissions" | "scale" | null;
  /** The bare route's req/s in this run, when measured: submissions are also given relative to it. */
  bareRps: number | null;
}): Promise<LedgerBenchResult> {
  const { base, stack } = options;
  if (options.only === "scale") return { lines: await accrualAtScale(base, stack, options.pinPepper), errors: 0 };
  const tenant = benchTenant();
  const { small, large } = await fixtures(stack, options.pinPepper, tenant);
  const admin = tenant.people[0]!;
  const adminToken = await login(base, admin);
  const workers = tenant.people.slice(1, EMPLOYEES + 1);
  const tokens: string[] = [];
  for (const person of workers) tokens.push(await login(base, person));
  const lines: string[] = [];
  let errors = 0;

  const endpointsBench = async () => {
    // Round trips per call, counted by the local Neon endpoint (the bench is its only client).
    const stats = new URL("/stats", stack.neon.url);
    const roundTrips = async () => ((await (await fetch(stats)).json()) as { round_trips: number }).round_trips;
    const send = (token: string, path: string, body?: unknown) =>
      fetch(
        base + path,
        body === undefined
          ? { headers: { Authorization: `Bearer ${token}` } }
          : {
              method: "POST",
              headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
              body: JSON.stringify(body),
            },
      );
    for (const token of [adminToken, tokens[0]!]) await send(token, "/v1/me/permissions"); // warm the permission cache
    // Days of their own, before the submission load's.
    const [day1, day2, day3, day4] = workingDaysAhead(4, 7) as [string, string, string, string];
    const year = isoDay().slice(0, 4);
    const submitted = (await (await send(tokens[0]!, "/v1/requests", { policy_key: POLICY, start_date: day1, end_date: day1 })).json()) as {
      id: string;
    };
    const rejectable = (await (
      await send(tokens[0]!, "/v1/requests", { policy_key: POLICY, start_date: day2, end_date: day2 })
    ).json()) as { id: string };
    const cancellable = (await (
      await send(tokens[0]!, "/v1/requests", { policy_key: POLICY, start_date: day3, end_date: day3 })
    ).json()) as { id: string };
    const employee = workers[0]!.employeeId;
    const calls: [string, () => Promise<Response>][] = [
      ["GET /v1/me/balances", () => send(tokens[0]!, "/v1/me/balances")],
      ["GET /v1/employees/{id}/balances?as_of", () => send(adminToken, `/v1/employees/${employee}/balances?as_of=${year}-12-31`)],
      ["GET /v1/team/balances", () => send(adminToken, "/v1/team/balances")],
      ["GET /v1/ledger-entries", () => send(tokens[0]!, "/v1/ledger-entries?sort=-effective_date")],
      ["GET /v1/requests", () => send(tokens[0]!, "/v1/requests")],
      ["GET /v1/requests/{id}", () => send(tokens[0]!, `/v1/requests/${submitted.id}`)],
      ["GET /v1/approvals", () => send(adminToken, "/v1/approvals")],
      ["POST /v1/requests", () => send(tokens[0]!, "/v1/requests", { policy_key: POLICY, start_date: day4, end_date: day4 })],
      ["POST /v1/requests/{id}/approve", () => send(adminToken, `/v1/requests/${submitted.id}/approve`, {})],
      ["POST /v1/requests/{id}/reject", () => send(adminToken, `/v1/requests/${rejectable.id}/reject`, {})],
      ["POST /v1/requests/{id}/cancel", () => send(tokens[0]!, `/v1/requests/${cancellable.id}/cancel`, {})],
      [
        "POST /v1/employees/{id}/ledger-entries",
        () =>
          send(adminToken, `/v1/employees/${employee}/ledger-entries`, {
            policy_key: POLICY,
            kind: "grant",
            amount: 1,
            effective_date: isoDay(-30),
            note: "bench",
          }),
      ],
      ["POST /v1/accruals/runs", () => send(adminToken, "/v1/accruals/runs", { limit: 100 })],
      ["POST /v1/rollovers (dry run)", () => send(adminToken, "/v1/rollovers", { year: Number(year), limit: 100 })],
      ["GET /v1/reconciliation", () => send(adminToken, "/v1/reconciliation?limit=10")],
      ["GET /v1/ledger-runs", () => send(adminToken, "/v1/ledger-runs")],
      ["GET /v1/holidays", () => send(tokens[0]!, `/v1/holidays?year=${year}`)],
      ["GET /v1/audit/verification", () => send(adminToken, "/v1/audit/verification")],
    ];
    lines.push("Postgres round trips per call (local Neon endpoint's count; goal 1, ceiling 2 for reads, 3 for writes)");
    for (const [name, call] of calls) {
      const before = await roundTrips();
      const res = await call();
      const used = (await roundTrips()) - before;
      if (!res.ok) {
        errors++;
        lines.push(`  ${name.padEnd(44)} FAILED ${res.status} ${await res.text()}`);
      } else lines.push(`  ${name.padEnd(44)} ${used}`);
    }

    // Balance reads: the same request against 100 and 100 000 entries of history, interleaved.
    const measure = async (path: string, seconds: number, requests?: autocannon.Request[]) => {
      const result = await autocannon({
        url: base + path,
        connections: options.connections,
        duration: seconds,
        headers: { authorization: `Bearer ${adminToken}` },
        ...(requests ? { requests } : {}),
      });
      errors += result.errors + result.non2xx;
      return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
    };
    const paths = { small: `/v1/employees/${small.employeeId}/balances`, large: `/v1/employees/${large.employeeId}/balances` };
    const reads: Record<"small" | "large", number[]> = { small: [], large: [] };
    await measure(paths.small, 1);
    await measure(paths.large, 1);
    for (let round = 0; round < options.rounds; round++) {
      for (const which of round % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const))
        reads[which].push((await measure(paths[which], options.seconds)).rps);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const [smallRps, largeRps] = [median(reads.small), median(reads.large)];
    lines.push(
      "",
      `Balance read, ${SMALL_HISTORY} vs ${LARGE_HISTORY} entries of history (${options.connections} connections, medians of ${options.rounds} rounds)`,
      `  ${SMALL_HISTORY} entries: ${smallRps.toFixed(0)} req/s; ${LARGE_HISTORY} entries: ${largeRps.toFixed(0)} req/s; cost ratio ${(smallRps / largeRps).toFixed(2)} (goal ≤ 1.30)`,
    );
  };
  if (!options.only) await endpointsBench();

  // Submissions: 50 concurrent clients, each its own employee, each request a new day and a new key; then the
  // same with a reason, which the Worker seals (each employee's key read once per year, then held by the isolate).
  const days = workingDaysAhead(5_000, LOAD_LEAD_DAYS);
  let turn = 0;
  const submitLoad = (reason?: string) =>
    autocannon({
      url: `${base}/v1/requests`,
      connections: EMPLOYEES,
      duration: options.seconds,
      method: "POST",
      requests: [
        {
          setupRequest: (request: autocannon.Request) => {
            const n = turn++;
            const day = days[Math.floor(n / EMPLOYEES) + 10];
            return {
              ...request,
              method: "POST",
              headers: {
                "content-type": "application/json",
                authorization: `Bearer ${tokens[n % EMPLOYEES]}`,
                "idempotency-key": `bench-submit-${n}`,
              },
              body: JSON.stringify({ policy_key: POLICY, start_date: day, end_date: day, ...(reason ? { reason } : {}) }),
            };
          },
        },
      ],
    });
  const cpuBefore = cpuByProgram();
  const submissions = await submitLoad();
  const cpuAfter = cpuByProgram();
  const sealed = await submitLoad("Bench: a reason as long as a real one, e.g. a follow-up appointment at the clinic");
  // The outbox's cost: the same load with its trigger off, then on again (the ratio uses the later run).
  const outboxTrigger = async (on: boolean) => {
    const db = new pg.Client({ connectionString: stack.superuserDatabaseUrl });
    await db.connect();
    await db.query(`alter table leave_requests ${on ? "enable" : "disable"} trigger leave_requests_events`);
    await db.end();
  };
  await outboxTrigger(false);
  let withoutOutbox: autocannon.Result;
  try {
    withoutOutbox = await submitLoad();
  } finally {
    await outboxTrigger(true);
  }
  const withOutbox = await submitLoad();
  const webhooks = await webhookCost(base, stack, adminToken, () => submitLoad());
  for (const run of [submissions, sealed, withoutOutbox, withOutbox, webhooks.run]) errors += run.errors + run.non2xx;
  const chains = await auditChainsUsed(stack, tenant.id);
  const rate = (run: autocannon.Result) =>
    `${run.requests.average.toFixed(0)} submissions/s, p50 ${run.latency.p50.toFixed(1)} ms, p99 ${run.latency.p99.toFixed(1)} ms, ${run.non2xx + run.errors} failed of ${run.requests.sent}`;
  lines.push(
    "",
    `Leave submissions, ${EMPLOYEES} concurrent clients on distinct employees of one tenant, ${options.seconds} s`,
    `  ${rate(submissions)}${options.bareRps ? `; ${((submissions.requests.average / options.bareRps) * 1000).toFixed(0)} per 1 000 req/s of the bare route` : ""}`,
    `  CPU per submission: ${cpuPerUnit(cpuBefore, cpuAfter, submissions.requests.sent)}; audit rows spread over ${chains} of the tenant's chains`,
    `  with a sealed reason: ${rate(sealed)}; ratio to without ${(sealed.requests.average / submissions.requests.average).toFixed(2)}`,
    `  without the outbox: ${rate(withoutOutbox)}; with it again: ${rate(withOutbox)}; ratio with/without ${(withOutbox.requests.average / withoutOutbox.requests.average).toFixed(2)}`,
    `  with a webhook subscription to a local receiver: ${rate(webhooks.run)}; ratio to without ${(webhooks.run.requests.average / withOutbox.requests.average).toFixed(2)}; ` +
      `${webhooks.delivered} of ${webhooks.events} events delivered (${webhooks.repeats} repeated), the last ${webhooks.drainSeconds.toFixed(1)} s after the load`,
  );
  if (!options.only) lines.push(...(await inboxCost(base, adminToken, options)));
  if (!options.only) lines.push(...(await accrualAtScale(base, stack, options.pinPepper)));
  return { lines, errors };
}
