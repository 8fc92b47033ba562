/**
 * The SLO at a fixed arrival rate, as operators measure it: an open loop (requests leave on their schedule however
 * slowly the answers come, and each latency counts from the scheduled time, so a stalled sender cannot hide a stall)
 * with a realistic mix: 70 % reads (own balances, own requests, a manager's approvals inbox), 20 % writes
 * (submissions, approvals, cancellations) and 10 % sign-ins (password logins and refreshes).
 *
 * The rate climbs in steps of RATE_STEP in short probes until a class's p95 reaches the SLO or errors pass 0.1 %;
 * the highest rate that held is then run for the full minute, on a tenant of the mix's people alone and again once
 * the tenant has 10 000 and 50 000 employees, so that the cost's growth with the tenant's size shows.
 */
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";
import pg from "pg";
import type { LocalStack } from "../lib/local-stack";
import { DEMO_PASSWORD, type SeedPerson, type SeedTenant, seedStatements } from "../lib/seed-data";
import { LOAD_LEAD_DAYS, workingDaysAhead } from "./calendar";

const SLUG = "slo";
const POLICY = "slo-pto";
const MANAGERS = 10;
const TEAM = 20;
const RATE_STEP = 25;
const PROBE_SECONDS = Number(process.env.BENCH_SLO_PROBE_SECONDS ?? 8);
const RUN_SECONDS = Number(process.env.BENCH_SLO_SECONDS ?? 60);
const SLO_P95_MS = 200;
const SLO_ERROR_RATE = 0.001;
const TIMEOUT_MS = 10_000;
/** Access tokens live 15 minutes: everyone signs in again before a run once theirs are this old. */
const TOKEN_REFRESH_AFTER_MS = 8 * 60_000;
const TENANT_SIZES = (process.env.BENCH_SLO_SIZES ?? "10000,50000").split(",").filter(Boolean).map(Number);
const GROWTH_CHUNK = 1_000;

type CallClass = "read" | "write" | "sign-in";
const CLASSES: CallClass[] = ["read", "write", "sign-in"];

interface Member {
  person: SeedPerson;
  access: string;
  refresh: string;
  /** A refresh in flight: presenting the same refresh token twice would end the person's sessions. */
  refreshing: boolean;
  /**
   * A refresh failed or timed out: its token may be used up without the answer having arrived, and presenting it
   * again would be a reuse. The person signs in with their password next, as a client would.
   */
  mustLogIn: boolean;
  /** This employee's next free working day for a submission. */
  nextDay: number;
  /** Where they call from: sign-ins in flight from one address are limited (src/auth/limiter.ts). */
  address: string;
}

interface ClassStats {
  histogram: RecordableHistogram;
  sent: number;
  errors: number;
}

interface RunResult {
  rate: number;
  seconds: number;
  stats: Map<CallClass, ClassStats>;
  /** Answers the bench did not expect, by class, method, path and status: what to look at when errors appear. */
  failures: Map<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sloTenant(): { tenant: SeedTenant; managers: SeedPerson[]; employees: SeedPerson[] } {
  let n = 0;
  const person = (roles: SeedPerson["roles"], managerEmployeeId: string | null): SeedPerson => {
    n++;
    return {
      userId: crypto.randomUUID(),
      employeeId: crypto.randomUUID(),
      email: `slo${n}@slo.example`,
      displayName: `Slo ${n}`,
      employeeNumber: `S-${n}`,
      timeZone: "UTC",
      hireDate: "2020-01-01",
      managerEmployeeId,
      roles,
    };
  };
  const managers = Array.from({ length: MANAGERS }, () => person(["employee", "manager"], null));
  const employees = managers.flatMap((m) => Array.from({ length: TEAM }, () => person(["employee"], m.employeeId)));
  return { tenant: { id: crypto.randomUUID(), slug: SLUG, name: "SLO Ltd", people: [...managers, ...employees] }, managers, employees };
}

async function fixtures(db: pg.Client, pinPepper: string, tenant: SeedTenant): Promise<void> {
  for (const statement of await seedStatements(pinPepper, [tenant])) await db.query(statement.text, statement.values);
  const creator = tenant.people[0]!.userId;
  await db.query(
    `insert into leave_policies (tenant_id, key, version, name, unit, effective_from, created_by) values ($1, $2, 1, 'SLO PTO', 'day', '2020-01-01', $3)`,
    [tenant.id, POLICY, creator],
  );
  await openAccounts(db, tenant.id, creator);
  await db.query("analyze");
}

/** Assigns the policy to every employee of the tenant without it, with an account and a grant that never runs out. */
async function openAccounts(db: pg.Client, tenantId: string, creator: string): Promise<void> {
  await db.query(
    `insert into policy_assignments (tenant_id, employee_id, policy_key, starts_on, created_by)
     select $1, e.id, $2, '2020-01-01', $3 from employees e
     where e.tenant_id = $1 and not exists (select 1 from policy_assignments p where p.employee_id = e.id and p.policy_key = $2)`,
    [tenantId, POLICY, creator],
  );
  await db.query(
    `with opened as (
       insert into ledger_accounts (tenant_id, employee_id, policy_key)
       select $1, e.id, $2 from employees e
       where e.tenant_id = $1 and not exists (select 1 from ledger_accounts a where a.employee_id = e.id and a.policy_key = $2)
       returning tenant_id, id, employee_id, policy_key)
     insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, kind, amount, effective_date, reference)
     select tenant_id, id, employee_id, policy_key, 'grant', 100000, '2020-01-01', 'slo:grant' from opened`,
    [tenantId, POLICY],
  );
}

/** Employees without a team of their own here, up to `size` in the tenant: the company around the mix's people. */
async function growTenant(db: pg.Client, tenantId: string, creator: string, size: number): Promise<void> {
  const { rows } = await db.query("select count(*)::int as n from employees where tenant_id = $1", [tenantId]);
  const have = (rows[0] as { n: number }).n;
  // In chunks: each row's triggers take locks, and one transaction holds only so many.
  for (let from = have + 1; from <= size; from += GROWTH_CHUNK) {
    const to = Math.min(size, from + GROWTH_CHUNK - 1);
    await db.query(
      `with s as (select n, gen_random_uuid() as uid from generate_series($2::int, $3::int) n),
            u as (insert into users (id, tenant_id, email, display_name) select uid, $1, 'f' || n || '@slo.example', 'F ' || n from s)
       insert into employees (tenant_id, user_id, employee_number, time_zone, hire_date)
       select $1, uid, 'F-' || n, 'UTC', '2020-01-01' from s`,
      [tenantId, from, to],
    );
    await openAccounts(db, tenantId, creator);
  }
  // Measured in a steady state: the rows just written are vacuumed, counted and flushed to disk before the run, so
  // that neither autovacuum nor the checkpoint they are due runs during it.
  await db.query("vacuum analyze");
  await db.query("checkpoint");
}

/** A submission's day is never taken twice. */
const WORKING_DAYS = workingDaysAhead(2_000, LOAD_LEAD_DAYS);

/**
 * The mix: which call comes next, from what the bench knows (pending requests, refreshes in flight). Each request it
 * hands out for a decision leaves the pool, so an approval and a cancellation never meet on one request.
 */
class Mix {
  private turn = 0;
  /** Submitted and still pending: request id → its employee and manager. */
  private readonly pending: { id: string; employee: Member; manager: Member }[] = [];

  constructor(
    private readonly base: string,
    private readonly managers: Member[],
    private readonly employees: Member[],
    private readonly managerOf: Map<Member, Member>,
  ) {}

  private pick<T>(list: T[]): T {
    return list[Math.floor(Math.random() * list.length)]!;
  }

  /** Which call comes next: 70 reads, 20 writes, 10 sign-ins in every 100 draws. */
  next(): { kind: CallClass; send: () => Promise<{ ok: boolean; label: string; status: number }> } {
    const draw = Math.random() * 100;
    this.turn++;
    if (draw < 70) return { kind: "read", send: () => this.read() };
    if (draw < 90) return { kind: "write", send: () => this.write() };
    return { kind: "sign-in", send: () => this.signIn() };
  }

  private async call(from: Member, token: string | null, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { "CF-Connecting-IP": from.address };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      if (token) headers["Idempotency-Key"] = crypto.randomUUID();
    }
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => null)) as
      | (Record<string, unknown> & { error?: { code?: string; details?: { reason?: string } } })
      | null;
    const route = `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}").replace(/\?.*/, "")}`;
    const why = res.ok ? "" : ` ${json?.error?.code ?? ""} ${json?.error?.details?.reason ?? ""}`.trimEnd();
    return { ok: res.ok, status: res.status, json, label: `${route}${why}` };
  }

  private async read() {
    const kind = this.turn % 3;
    const reader = this.pick(kind === 2 ? this.managers : this.employees);
    if (kind === 0) return this.call(reader, reader.access, "GET", "/v1/me/balances");
    if (kind === 1) return this.call(reader, reader.access, "GET", "/v1/requests?limit=20");
    return this.call(reader, reader.access, "GET", "/v1/approvals?limit=20");
  }

  private async write() {
    const kind = this.turn % 10;
    // Half submissions, three in ten approvals, two in ten cancellations: the pool of pending requests grows.
    const decided = kind >= 5 ? this.pending.splice(Math.floor(Math.random() * this.pending.length), 1)[0] : undefined;
    if (decided && kind < 8) return this.call(decided.manager, decided.manager.access, "POST", `/v1/requests/${decided.id}/approve`, {});
    if (decided) return this.call(decided.employee, decided.employee.access, "POST", `/v1/requests/${decided.id}/cancel`, {});
    const employee = this.pick(this.employees);
    const day = WORKING_DAYS[employee.nextDay++]!;
    const result = await this.call(employee, employee.access, "POST", "/v1/requests", {
      policy_key: POLICY,
      start_date: day,
      end_date: day,
    });
    if (result.ok) this.pending.push({ id: String(result.json!.id), employee, manager: this.managerOf.get(employee)! });
    return result;
  }

  private async signIn() {
    const member = this.pick([...this.managers, ...this.employees]);
    if (this.turn % 2 === 0 && !member.refreshing && !member.mustLogIn) {
      member.refreshing = true;
      try {
        const result = await this.call(member, null, "POST", "/v1/auth/refresh", { refresh_token: member.refresh });
        if (result.ok) [member.access, member.refresh] = [String(result.json!.access_token), String(result.json!.refresh_token)];
        else member.mustLogIn = true;
        return result;
      } finally {
        member.refreshing = false;
      }
    }
    const credentials = { tenant: SLUG, email: member.person.email, password: DEMO_PASSWORD };
    const result = await this.call(member, null, "POST", "/v1/auth/login", credentials);
    if (result.ok && !member.refreshing) {
      [member.access, member.refresh, member.mustLogIn] = [String(result.json!.access_token), String(result.json!.refresh_token), false];
    }
    return result;
  }
}

/** Sends `rate` requests a second for `seconds`, each on its schedule, and waits for every answer. */
async function openLoop(mix: Mix, rate: number, seconds: number): Promise<RunResult> {
  const stats = new Map(CLASSES.map((c) => [c, { histogram: createHistogram(), sent: 0, errors: 0 }]));
  const failures = new Map<string, number>();
  const total = Math.round(rate * seconds);
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    const call = mix.next();
    const s = stats.get(call.kind)!;
    s.sent++;
    inFlight.push(
      call
        .send()
        .catch((error: Error) => ({ ok: false, status: 0, label: error.name }))
        .then((result) => {
          s.histogram.record(Math.max(1, Math.round((performance.now() - due) * 1000)));
          if (result.ok) return;
          s.errors++;
          const key = `${call.kind}: ${result.label} → ${result.status}`;
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }),
    );
  }
  await Promise.all(inFlight);
  return { rate, seconds, stats, failures };
}

const ms = (histogram: RecordableHistogram, percentile: number) => histogram.percentile(percentile) / 1000;

function holds(run: RunResult): boolean {
  let sent = 0;
  let errors = 0;
  for (const s of run.stats.values()) {
    sent += s.sent;
    errors += s.errors;
    if (s.sent > 0 && ms(s.histogram, 95) >= SLO_P95_MS) return false;
  }
  return errors / sent < SLO_ERROR_RATE;
}

function rows(label: string, run: RunResult): string[] {
  return CLASSES.map((c) => {
    const s = run.stats.get(c)!;
    const cells = [
      label.padEnd(22),
      String(run.rate).padStart(5),
      c.padEnd(8),
      String(s.sent).padStart(7),
      ms(s.histogram, 50).toFixed(1).padStart(8),
      ms(s.histogram, 95).toFixed(1).padStart(8),
      ms(s.histogram, 99).toFixed(1).padStart(8),
      `${((100 * s.errors) / Math.max(1, s.sent)).toFixed(2)} %`.padStart(9),
    ];
    return cells.join("  ");
  });
}

export async function sloBench(options: {
  base: string;
  stack: LocalStack;
  pinPepper: string;
}): Promise<{ lines: string[]; errors: number }> {
  const { tenant, managers, employees } = sloTenant();
  const db = new pg.Client({ connectionString: options.stack.superuserDatabaseUrl });
  await db.connect();
  try {
    await fixtures(db, options.pinPepper, tenant);
    const members = new Map<SeedPerson, Member>();
    tenant.people.forEach((person, i) => {
      const address = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      members.set(person, {
        person,
        access: "",
        refresh: "",
        refreshing: false,
        mustLogIn: false,
        nextDay: 0,
        address,
      });
    });
    const byEmployeeId = new Map(tenant.people.map((p) => [p.employeeId, members.get(p)!]));
    const managerOf = new Map(employees.map((e) => [members.get(e)!, byEmployeeId.get(e.managerEmployeeId!)!]));
    let signedInAt = 0;
    const signInEveryone = async () => {
      const all = [...members.values()];
      for (let i = 0; i < all.length; i += 8) {
        await Promise.all(
          all.slice(i, i + 8).map(async (m) => {
            const res = await fetch(`${options.base}/v1/auth/login`, {
              method: "POST",
              headers: { "Content-Type": "application/json", "CF-Connecting-IP": m.address },
              body: JSON.stringify({ tenant: SLUG, email: m.person.email, password: DEMO_PASSWORD }),
            });
            if (!res.ok) throw new Error(`SLO bench: login of ${m.person.email} answered ${res.status}`);
            const body = (await res.json()) as { access_token: string; refresh_token: string };
            [m.access, m.refresh, m.mustLogIn] = [body.access_token, body.refresh_token, false];
          }),
        );
      }
      signedInAt = Date.now();
    };
    const mix = new Mix(
      options.base,
      managers.map((p) => members.get(p)!),
      employees.map((p) => members.get(p)!),
      managerOf,
    );
    const run = async (rate: number, seconds: number) => {
      if (Date.now() - signedInAt > TOKEN_REFRESH_AFTER_MS) await signInEveryone();
      return openLoop(mix, rate, seconds);
    };

    // Unloaded: one call at a time, after a round that touched everyone (their objects, caches and keys).
    await signInEveryone();
    await openLoop(mix, RATE_STEP, 8);
    const alone = new Map<CallClass, number[]>(CLASSES.map((c) => [c, []]));
    for (let i = 0; i < 60; i++) {
      const call = mix.next();
      const started = performance.now();
      await call.send();
      alone.get(call.kind)!.push(performance.now() - started);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const probes: RunResult[] = [];
    for (let rate = RATE_STEP; ; rate += RATE_STEP) {
      const probe = await run(rate, PROBE_SECONDS);
      probes.push(probe);
      if (!holds(probe)) break;
    }
    // The highest probe that held, confirmed over the full run (one step lower each time it does not hold).
    let rate = probes.filter(holds).at(-1)?.rate ?? RATE_STEP;
    let sustained = await run(rate, RUN_SECONDS);
    while (!holds(sustained) && rate > RATE_STEP) {
      rate -= RATE_STEP;
      sustained = await run(rate, RUN_SECONDS);
    }
    const people = tenant.people.length;
    const results: [string, RunResult][] = [[`${people} employees`, sustained]];
    for (const size of TENANT_SIZES) {
      await growTenant(db, tenant.id, managers[0]!.userId, size);
      results.push([`${size.toLocaleString("en")} employees`, await run(rate, RUN_SECONDS)]);
    }

    const header = ["tenant".padEnd(22), "req/s", "class   ", "   sent", "  p50 ms", "  p95 ms", "  p99 ms", "   errors"].join("  ");
    const lines = [
      `SLO at a fixed arrival rate (open loop; 70 % reads, 20 % writes, 10 % sign-ins; p95 < ${SLO_P95_MS} ms in every class and errors < ${SLO_ERROR_RATE * 100} %)`,
      `  one call at a time (medians): ${CLASSES.map((c) => `${c} ${median(alone.get(c)!).toFixed(1)} ms`).join(", ")}`,
      `  probes of ${PROBE_SECONDS} s, steps of ${RATE_STEP} req/s: ${probes.map((p) => `${p.rate}${holds(p) ? "" : " ✗"}`).join(", ")}`,
      `  highest rate sustained for ${RUN_SECONDS} s: ${holds(sustained) ? `${rate} req/s` : `none (even ${rate} req/s missed the SLO)`}  ← the figure to beat`,
      "",
      `  ${header}`,
      ...results.flatMap(([label, r]) => rows(label, r).map((line) => `  ${line}`)),
    ];
    // Failures under load are what the error rate measures; a 400, 404, 409 or 422 means the bench asked wrongly.
    let refused = 0;
    for (const [label, r] of results) {
      for (const [key, n] of r.failures) {
        lines.push(`  failed answers (${label}): ${key} × ${n}`);
        if (/→ (400|404|409|422)$/.test(key)) refused += n;
      }
    }
    return { lines, errors: refused };
  } finally {
    await db.end();
  }
}
