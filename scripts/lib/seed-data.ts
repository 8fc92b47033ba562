/**
 * Demo data: two tenants, every role, a manager with direct reports. Fixed ids so tests, docs and a
 * developer's curl commands can name them. Pure data and SQL (WebCrypto only, no Node APIs): the seed script
 * and the tests both use it.
 */
import { hashPassword, hashPin } from "../../src/auth/secrets";
import { newDataKey, openDataKey, type StoredDataKey } from "../../src/crypto/data-keys";
import { sealField } from "../../src/crypto/sealed-fields";
import { type ClaimsSigningKey, SET_SIGNED_CLAIMS_SQL, signClaims } from "../../src/db/claims";
import { toBase64 } from "../../src/kernel/bytes";
import type { DataKek } from "../../src/kernel/config";

/** Every demo user's password, and every demo employee's kiosk PIN. Local data only. */
export const DEMO_PASSWORD = "leave-ledger-demo";
export const DEMO_PIN = "2468";
type Role = "employee" | "manager" | "hr_admin" | "system_admin" | "auditor";

export interface SeedPerson {
  userId: string;
  employeeId: string;
  email: string;
  displayName: string;
  employeeNumber: string;
  timeZone: string;
  hireDate: string;
  managerEmployeeId: string | null;
  roles: Role[];
}

export interface SeedTenant {
  id: string;
  slug: string;
  name: string;
  people: SeedPerson[];
}

const person = (n: number, tenant: number, fields: Omit<SeedPerson, "userId" | "employeeId">): SeedPerson => ({
  userId: `00000000-0000-4000-8${tenant}00-0000000001${String(n).padStart(2, "0")}`,
  employeeId: `00000000-0000-4000-8${tenant}00-0000000002${String(n).padStart(2, "0")}`,
  ...fields,
});

const ACME_MANAGER = "00000000-0000-4000-8100-000000000203";

export const ACME: SeedTenant = {
  id: "00000000-0000-4000-8100-000000000001",
  slug: "acme",
  name: "Acme Corporation",
  people: [
    person(1, 1, {
      email: "sam.admin@acme.example",
      displayName: "Sam Admin",
      employeeNumber: "A-001",
      timeZone: "Europe/London",
      hireDate: "2019-03-01",
      managerEmployeeId: null,
      roles: ["employee", "system_admin"],
    }),
    person(2, 1, {
      email: "hana.hr@acme.example",
      displayName: "Hana HR",
      employeeNumber: "A-002",
      timeZone: "Europe/Berlin",
      hireDate: "2020-01-15",
      managerEmployeeId: null,
      roles: ["employee", "hr_admin"],
    }),
    person(3, 1, {
      email: "mike.manager@acme.example",
      displayName: "Mike Manager",
      employeeNumber: "A-003",
      timeZone: "America/New_York",
      hireDate: "2018-06-04",
      managerEmployeeId: null,
      roles: ["employee", "manager"],
    }),
    person(4, 1, {
      email: "emma.employee@acme.example",
      displayName: "Emma Employee",
      employeeNumber: "A-004",
      timeZone: "Europe/Berlin",
      hireDate: "2022-09-01",
      managerEmployeeId: ACME_MANAGER,
      roles: ["employee"],
    }),
    person(5, 1, {
      email: "eli.employee@acme.example",
      displayName: "Eli Employee",
      employeeNumber: "A-005",
      timeZone: "Asia/Tokyo",
      hireDate: "2023-04-10",
      managerEmployeeId: ACME_MANAGER,
      roles: ["employee"],
    }),
    person(6, 1, {
      email: "ada.auditor@acme.example",
      displayName: "Ada Auditor",
      employeeNumber: "A-006",
      timeZone: "UTC",
      hireDate: "2021-11-01",
      managerEmployeeId: null,
      roles: ["auditor"],
    }),
  ],
};

export const GLOBEX: SeedTenant = {
  id: "00000000-0000-4000-8200-000000000001",
  slug: "globex",
  name: "Globex Inc.",
  people: [
    person(1, 2, {
      email: "gina.hr@globex.example",
      displayName: "Gina HR",
      employeeNumber: "G-001",
      timeZone: "America/Los_Angeles",
      hireDate: "2017-02-01",
      managerEmployeeId: null,
      roles: ["employee", "hr_admin", "manager"],
    }),
    person(2, 2, {
      email: "gus.employee@globex.example",
      displayName: "Gus Employee",
      employeeNumber: "G-002",
      timeZone: "Australia/Sydney",
      hireDate: "2024-01-08",
      managerEmployeeId: "00000000-0000-4000-8200-000000000201",
      roles: ["employee"],
    }),
  ],
};

export const SEED_TENANTS = [ACME, GLOBEX];

export interface Statement {
  text: string;
  values: unknown[];
}

/** One password hash and one PIN hash, shared by every demo user (hashing is slow on purpose: do it once). */
const demoHashes = new Map<string, Promise<{ password: string; pin: string }>>();
function hashesFor(pinPepper: string) {
  let hashes = demoHashes.get(pinPepper);
  if (!hashes) {
    hashes = Promise.all([hashPassword(DEMO_PASSWORD), hashPin(DEMO_PIN, pinPepper)]).then(([password, pin]) => ({ password, pin }));
    demoHashes.set(pinPepper, hashes);
  }
  return hashes;
}

/**
 * Idempotent inserts, in dependency order (managers before their reports), with demo credentials (PIN hashes
 * need the deployment's pepper). Needs a role that bypasses RLS.
 */
export async function seedStatements(pinPepper: string, tenants: SeedTenant[] = SEED_TENANTS): Promise<Statement[]> {
  const hashes = await hashesFor(pinPepper);
  const out: Statement[] = [];
  for (const tenant of tenants) {
    out.push({
      text: "insert into tenants (id, slug, name) values ($1, $2, $3) on conflict (id) do nothing",
      values: [tenant.id, tenant.slug, tenant.name],
    });
    const ordered = [...tenant.people].sort((a, b) => Number(a.managerEmployeeId !== null) - Number(b.managerEmployeeId !== null));
    for (const p of ordered) {
      out.push({
        text: "insert into users (id, tenant_id, email, display_name) values ($1, $2, $3, $4) on conflict (id) do nothing",
        values: [p.userId, tenant.id, p.email, p.displayName],
      });
      out.push({
        text: `insert into employees (id, tenant_id, user_id, employee_number, manager_id, time_zone, hire_date)
               values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing`,
        values: [p.employeeId, tenant.id, p.userId, p.employeeNumber, p.managerEmployeeId, p.timeZone, p.hireDate],
      });
      out.push({
        text: "insert into credentials (user_id, tenant_id, password_hash, pin_hash) values ($1, $2, $3, $4) on conflict (user_id) do nothing",
        values: [p.userId, tenant.id, hashes.password, hashes.pin],
      });
      for (const role of p.roles) {
        out.push({
          text: "insert into role_assignments (tenant_id, user_id, role) values ($1, $2, $3) on conflict do nothing",
          values: [tenant.id, p.userId, role],
        });
      }
    }
  }
  return out;
}

/** The demo tenant's leave policy, its holidays, and the request Emma has waiting for Mike. */
export const DEMO_SICK_POLICY_KEY = "sick-leave";
export const DEMO_VOLUNTEERING_POLICY_KEY = "volunteering";
export const DEMO_POLICY_KEY = "pto-standard";
/** The default calendar's holidays and the Berlin office's (its people follow `berlin`): [calendar, day, name]. */
export const DEMO_BERLIN_CALENDAR = "berlin";
const DEMO_HOLIDAYS = [
  ["default", "2026-12-25", "Christmas Day"],
  ["default", "2026-12-26", "Boxing Day"],
  ["default", "2027-01-01", "New Year's Day"],
  [DEMO_BERLIN_CALENDAR, "2026-12-25", "1. Weihnachtstag"],
  [DEMO_BERLIN_CALENDAR, "2026-12-26", "2. Weihnachtstag"],
  [DEMO_BERLIN_CALENDAR, "2027-01-01", "Neujahr"],
  [DEMO_BERLIN_CALENDAR, "2027-03-08", "Internationaler Frauentag"],
] as const;

/** How long the demo's approval delegation (Mike's approvals to Eli) runs from the day the demo data is loaded. */
export const DEMO_DELEGATION_DAYS = 14;

/** Days that are a holiday of some demo calendar: demo leave laid out around today avoids them all. */
export const DEMO_HOLIDAY_DAYS: ReadonlySet<string> = new Set(DEMO_HOLIDAYS.map(([, day]) => day));

/** The first Monday at least two weeks after `now` (UTC) that no demo calendar has as a holiday, as YYYY-MM-DD. */
function demoLeaveStart(now: Date): string {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 14));
  while (day.getUTCDay() !== 1 || DEMO_HOLIDAY_DAYS.has(day.toISOString().slice(0, 10))) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/**
 * Demo ledger data for `npm run dev` (not for tests, which build their own): Acme's standard policy assigned
 * to everyone with an opening grant, holidays, accruals to date posted by the scheduler's own function, and
 * one pending request submitted through the ledger's function as Emma. Repeatable: keys and conflicts make a
 * second run a no-op. The claims of those two calls are signed with `claimsKey` (the database's DB_CLAIMS_KEY),
 * good for 30 s: run the statements at once.
 */
export async function demoLedgerStatements(
  now: Date,
  claimsKey: ClaimsSigningKey,
  dataKek: DataKek,
  storedKeyOf: (employeeId: string, year: number) => Promise<StoredDataKey | null>,
): Promise<Statement[]> {
  const hana = ACME.people.find((p) => p.roles.includes("hr_admin"))!;
  const emma = ACME.people.find((p) => p.email.startsWith("emma."))!;
  const mike = ACME.people.find((p) => p.email.startsWith("mike."))!;
  const eli = ACME.people.find((p) => p.email.startsWith("eli."))!;
  const employees = ACME.people.filter((p) => p.roles.includes("employee")).map((p) => p.employeeId);
  const claims = async (value: Record<string, unknown>) => {
    const signed = await signClaims(value, claimsKey);
    return { text: SET_SIGNED_CLAIMS_SQL, values: [signed.claims, signed.signature] };
  };
  const start = demoLeaveStart(now);
  // Sealed as the Worker seals a reason: with Emma's data key for the year (a new one if she has none yet),
  // bound to the request's id.
  const existing = await storedKeyOf(emma.employeeId, Number(start.slice(0, 4)));
  const sealing = existing
    ? { dataKey: (await openDataKey({ DATA_KEK: dataKek }, existing, now.getTime()))!, param: { id: existing.id } }
    : await newDataKey({ DATA_KEK: dataKek }).then(({ dataKey, stored }) => ({
        dataKey,
        param: { id: stored.id, wrapped: toBase64(stored.wrapped), kek_id: dataKek.kid },
      }));
  const requestId = crypto.randomUUID();
  const place = { tenantId: ACME.id, table: "leave_requests", column: "reason", row: requestId };
  return [
    {
      text: `insert into leave_policies (tenant_id, key, version, name, unit, accrual_period, accrual_amount, max_balance, carryover_cap, carryover_expiry_months,
               negative_allowance, approvals_required, approval_ttl_hours, effective_from, created_by)
             values ($1, $2, 1, 'Paid time off', 'day', 'monthly', 2.0833, 40, 5, 3, 2, 1, 168, '2026-01-01', $3) on conflict do nothing`,
      values: [ACME.id, DEMO_POLICY_KEY, hana.userId],
    },
    {
      // Sick leave as HR runs it: untracked, recorded at once (no approver), managers may record it for their reports.
      text: `insert into leave_policies (tenant_id, key, version, name, category, unit, tracking, approvals_required, managers_may_record,
               effective_from, created_by)
             values ($1, $2, 1, 'Sick leave', 'sick', 'day', 'untracked', 0, true, '2026-01-01', $3) on conflict do nothing`,
      values: [ACME.id, DEMO_SICK_POLICY_KEY, hana.userId],
    },
    {
      // A yearly allowance granted up front on each hire anniversary (prorated for the part of a year before 2026-01-01).
      text: `insert into leave_policies (tenant_id, key, version, name, category, unit, accrual_period, accrual_amount, accrual_year,
               effective_from, created_by)
             values ($1, $2, 1, 'Volunteering days', 'other', 'day', 'yearly', 2, 'anniversary', '2026-01-01', $3) on conflict do nothing`,
      values: [ACME.id, DEMO_VOLUNTEERING_POLICY_KEY, hana.userId],
    },
    ...[DEMO_POLICY_KEY, DEMO_SICK_POLICY_KEY, DEMO_VOLUNTEERING_POLICY_KEY].flatMap((key) => [
      {
        text: `insert into policy_assignments (tenant_id, employee_id, policy_key, starts_on, created_by)
               select $1, e, $2, '2026-01-01', $3 from unnest($4::uuid[]) e on conflict do nothing`,
        values: [ACME.id, key, hana.userId, employees],
      },
      {
        text: "insert into ledger_accounts (tenant_id, employee_id, policy_key) select $1, e, $2 from unnest($3::uuid[]) e on conflict do nothing",
        values: [ACME.id, key, employees],
      },
    ]),
    {
      text: `insert into ledger_entries (tenant_id, account_id, employee_id, policy_key, policy_version_id, kind, amount, effective_date, reference, actor_id, system_note)
             select a.tenant_id, a.id, a.employee_id, a.policy_key, p.id, 'grant', 5, '2026-01-01', 'demo:opening', $3, 'opening balance'
             from ledger_accounts a join leave_policies p on p.tenant_id = a.tenant_id and p.key = a.policy_key and p.version = 1
             where a.tenant_id = $1 and a.policy_key = $2 on conflict do nothing`,
      values: [ACME.id, DEMO_POLICY_KEY, hana.userId],
    },
    ...DEMO_HOLIDAYS.map(([calendar, day, name]) => ({
      text: "insert into holidays (tenant_id, calendar, day, name) values ($1, $2, $3, $4) on conflict do nothing",
      values: [ACME.id, calendar, day, name],
    })),
    {
      text: "update employees set holiday_calendar = $2 where tenant_id = $1 and time_zone = 'Europe/Berlin'",
      values: [ACME.id, DEMO_BERLIN_CALENDAR],
    },
    await claims({ caller: "system:scheduler", sub: null, tenant_id: ACME.id, employee_id: null, roles: [] }),
    { text: "select app.post_accruals($1::jsonb)", values: [JSON.stringify({ now: now.toISOString(), after: null, limit: 2000 })] },
    await claims({ caller: "user", sub: emma.userId, tenant_id: ACME.id, employee_id: emma.employeeId, roles: emma.roles }),
    {
      text: "select app.submit_leave_request($1::jsonb)",
      values: [
        JSON.stringify({
          idempotency_key: "demo-seed-request",
          request_hash: "demo",
          policy_key: DEMO_POLICY_KEY,
          start_date: start,
          end_date: start,
          id: requestId,
          reason: await sealField(sealing.dataKey, place, "Dentist"),
          data_key: sealing.param,
          now: now.toISOString(),
          facts: {},
        }),
      ],
    },
    // Mike is away for the next two weeks and hands his approvals to Eli (once: a repeated seed leaves it be).
    await claims({ caller: "user", sub: mike.userId, tenant_id: ACME.id, employee_id: mike.employeeId, roles: mike.roles }),
    {
      text: `select app.create_delegation($1::jsonb)
             where not exists (select 1 from approval_delegations where delegator_id = $2 and delegate_id = $3)`,
      values: [
        JSON.stringify({
          delegate_id: eli.employeeId,
          ends_at: new Date(now.getTime() + DEMO_DELEGATION_DAYS * 86_400_000).toISOString(),
          now: now.toISOString(),
          facts: {},
          permission_version: 0,
        }),
        mike.employeeId,
        eli.employeeId,
      ],
    },
  ];
}
