import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  check,
  date,
  foreignKey,
  index,
  jsonb,
  numeric,
  pgEnum,
  pgPolicy,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { dataKeys } from "./data-keys";
import { calendarFormat, DEFAULT_HOLIDAY_CALENDAR, employees, tenants } from "./identity";
import { appRole, can, definerOnly, employeeId, tenantId, visibleTenantRows } from "./rls";

/**
 * The ledger. Every table here is written only by the ledger functions (migrations/functions, SECURITY DEFINER,
 * each checking the caller's claims itself); the app role reads under the policies below and holds no write
 * privilege at all, so no route bug can edit, delete or forge an entry.
 */
const tenantReaders = can("tenant:read");

const amount = (name: string) => numeric(name, { precision: 12, scale: 4, mode: "number" });

export const ENTRY_KINDS = [
  "accrual",
  "grant",
  "hold",
  "hold_release",
  "usage",
  "adjustment",
  "carryover_out",
  "carryover_in",
  "expiry",
  "reversal",
] as const;
export const entryKindEnum = pgEnum("ledger_entry_kind", ENTRY_KINDS);

export const REQUEST_STATUSES = ["pending", "approved", "rejected", "cancelled", "expired"] as const;
export const requestStatusEnum = pgEnum("leave_request_status", REQUEST_STATUSES);
export const START_PARTS = ["morning", "afternoon"] as const;
export const END_PARTS = ["midday", "evening"] as const;
export const startPartEnum = pgEnum("leave_start_part", START_PARTS);
export const endPartEnum = pgEnum("leave_end_part", END_PARTS);
export const dayHalfEnum = pgEnum("day_half", ["morning", "afternoon"]);
export const decisionEnum = pgEnum("approval_decision", ["approve", "reject"]);
export const RUN_KINDS = ["accrual", "rollover", "rollover_reversal", "snapshot"] as const;
export const runKindEnum = pgEnum("ledger_run_kind", RUN_KINDS);

/** The tenant's public holidays, by holiday calendar (one per location): not charged to those who follow it. */
export const holidays = pgTable(
  "holidays",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    calendar: text("calendar").notNull().default(DEFAULT_HOLIDAY_CALENDAR),
    day: date("day").notNull(),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.calendar, t.day] }),
    check("holidays_calendar_format", calendarFormat(t.calendar)),
    pgPolicy("holidays_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId}` }),
    // Written only by app.change_holiday, which corrects the requests a change touches in the same transaction.
    definerOnly("holidays_definer"),
  ],
).enableRLS();

/**
 * One balance: an employee under a policy (by key, across its versions). Its row is what concurrent writers
 * of that balance lock, so "check the balance, then write" is one step.
 */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    employeeId: uuid("employee_id").notNull(),
    policyKey: text("policy_key").notNull(),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("ledger_accounts_employee_policy_key").on(t.tenantId, t.employeeId, t.policyKey),
    foreignKey({
      name: "ledger_accounts_employee_fk",
      columns: [t.tenantId, t.employeeId],
      foreignColumns: [employees.tenantId, employees.id],
    }),
    pgPolicy("ledger_accounts_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("ledger_accounts_definer"),
  ],
).enableRLS();

/**
 * Immutable entries, signed amounts in the policy's unit. `effective_date` is the leave day (or the period
 * end) in the employee's calendar; `recorded_at` is when we learned it. `reference` makes every posting
 * idempotent within its account; `resolves_entry_id` makes a hold resolvable exactly once.
 */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    employeeId: uuid("employee_id").notNull(),
    policyKey: text("policy_key").notNull(),
    policyVersionId: uuid("policy_version_id"),
    kind: entryKindEnum("kind").notNull(),
    amount: amount("amount").notNull(),
    effectiveDate: date("effective_date").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
    reference: text("reference").notNull(),
    requestId: uuid("request_id"),
    runId: uuid("run_id"),
    resolvesEntryId: bigint("resolves_entry_id", { mode: "number" }),
    /** Holds only: after this instant the hold no longer counts, whether or not it was resolved yet. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    actorId: text("actor_id"),
    /** HR's note on a grant or adjustment, sealed (src/crypto/sealed-fields.ts) with the data key `data_key_id` names. */
    note: text("note"),
    dataKeyId: uuid("data_key_id").references(() => dataKeys.id),
    /** What the system notes on the entries it posts: a hold's outcome, the rollover's year. */
    systemNote: text("system_note"),
  },
  (t) => [
    unique("ledger_entries_reference_key").on(t.accountId, t.reference),
    uniqueIndex("ledger_entries_resolves_key").on(t.resolvesEntryId),
    index("ledger_entries_account_date_idx").on(t.accountId, t.effectiveDate),
    index("ledger_entries_account_id_idx").on(t.accountId, t.id),
    index("ledger_entries_employee_kind_date_idx").on(t.employeeId, t.kind, t.effectiveDate),
    index("ledger_entries_request_idx").on(t.requestId),
    index("ledger_entries_open_holds_idx").on(t.accountId, t.expiresAt).where(sql`${t.kind} = 'hold'`),
    // Grants and adjustments by one person lately: the bulk-adjustments security signal counts them.
    index("ledger_entries_manual_idx").on(t.tenantId, t.actorId, t.recordedAt).where(sql`${t.kind} in ('grant', 'adjustment')`),
    foreignKey({ name: "ledger_entries_resolves_fk", columns: [t.resolvesEntryId], foreignColumns: [t.id] }),
    check(
      "ledger_entries_sign",
      sql`case when ${t.kind} in ('accrual', 'grant', 'hold_release', 'carryover_in') then ${t.amount} > 0
               when ${t.kind} in ('hold', 'usage', 'carryover_out', 'expiry') then ${t.amount} < 0
               else ${t.amount} <> 0 end`,
    ),
    check("ledger_entries_hold_expiry", sql`(${t.kind} = 'hold') = (${t.expiresAt} is not null)`),
    check("ledger_entries_resolution", sql`(${t.kind} = 'hold_release') = (${t.resolvesEntryId} is not null) or ${t.kind} = 'reversal'`),
    pgPolicy("ledger_entries_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("ledger_entries_definer"),
  ],
).enableRLS();

/**
 * A balance's settled (non-hold) sums up to an entry: `settled_to_date` over entries effective on or before
 * `as_of`, `settled_after` over later-dated ones. A balance is the newest snapshot plus the entries since,
 * so its cost does not grow with history. Holds are never snapshotted: they expire by the clock.
 */
export const balanceSnapshots = pgTable(
  "balance_snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    employeeId: uuid("employee_id").notNull(),
    asOf: date("as_of").notNull(),
    throughEntryId: bigint("through_entry_id", { mode: "number" }).notNull(),
    settledToDate: amount("settled_to_date").notNull(),
    settledAfter: amount("settled_after").notNull(),
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("balance_snapshots_account_idx").on(t.accountId, t.throughEntryId),
    index("balance_snapshots_account_as_of_idx").on(t.accountId, t.asOf, t.throughEntryId),
    pgPolicy("balance_snapshots_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("balance_snapshots_definer"),
  ],
).enableRLS();

export const leaveRequests = pgTable(
  "leave_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    employeeId: uuid("employee_id").notNull(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    policyKey: text("policy_key").notNull(),
    policyVersionId: uuid("policy_version_id").notNull(),
    startDate: date("start_date").notNull(),
    endDate: date("end_date").notNull(),
    startPart: startPartEnum("start_part").notNull(),
    endPart: endPartEnum("end_part").notNull(),
    /** Working days covered (0.5 steps), and what they cost in the policy's unit. */
    days: amount("days").notNull(),
    amount: amount("amount").notNull(),
    /** Sealed (src/crypto/sealed-fields.ts) with the data key `data_key_id` names. */
    reason: text("reason"),
    dataKeyId: uuid("data_key_id").references(() => dataKeys.id),
    status: requestStatusEnum("status").notNull().default("pending"),
    approvalsRequired: smallint("approvals_required").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    submittedBy: uuid("submitted_by").notNull(),
    submittedAt: timestamp("submitted_at", { withTimezone: true }).notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolvedBy: uuid("resolved_by"),
  },
  (t) => [
    foreignKey({
      name: "leave_requests_employee_fk",
      columns: [t.tenantId, t.employeeId],
      foreignColumns: [employees.tenantId, employees.id],
    }),
    index("leave_requests_employee_idx").on(t.tenantId, t.employeeId, t.submittedAt, t.id),
    index("leave_requests_tenant_idx").on(t.tenantId, t.submittedAt, t.id),
    index("leave_requests_pending_idx").on(t.tenantId, t.expiresAt).where(sql`${t.status} = 'pending'`),
    // The open requests spanning a day (a holiday's corrections): those ending on or after it.
    index("leave_requests_open_end_idx").on(t.tenantId, t.endDate).where(sql`${t.status} in ('pending', 'approved')`),
    check("leave_requests_dates", sql`${t.endDate} >= ${t.startDate} and ${t.days} > 0 and ${t.amount} > 0`),
    check("leave_requests_resolution", sql`(${t.status} = 'pending') = (${t.resolvedAt} is null)`),
    pgPolicy("leave_requests_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("leave_requests_definer"),
  ],
).enableRLS();

/**
 * The half days booked by open (pending or approved) requests. The primary key is the rule "at most one day
 * per calendar day": a whole day books both halves, and a second booking of either half collides.
 */
export const bookedDays = pgTable(
  "booked_days",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    employeeId: uuid("employee_id").notNull(),
    day: date("day").notNull(),
    half: dayHalfEnum("half").notNull(),
    requestId: uuid("request_id")
      .notNull()
      .references(() => leaveRequests.id),
  },
  (t) => [
    primaryKey({ columns: [t.employeeId, t.day, t.half] }),
    index("booked_days_request_idx").on(t.requestId),
    // Who is out in a window (GET /v1/absences): the tenant's booked days by day.
    index("booked_days_tenant_day_idx").on(t.tenantId, t.day),
    pgPolicy("booked_days_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("booked_days_definer"),
  ],
).enableRLS();

/** One row per approver and request: a second decision by the same person is refused, never counted twice. */
export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    requestId: uuid("request_id")
      .notNull()
      .references(() => leaveRequests.id),
    employeeId: uuid("employee_id").notNull(),
    approverId: uuid("approver_id").notNull(),
    decision: decisionEnum("decision").notNull(),
    /** Sealed with the data key `data_key_id` names: the requester's, for the request's year. */
    comment: text("comment"),
    dataKeyId: uuid("data_key_id").references(() => dataKeys.id),
    decidedAt: timestamp("decided_at", { withTimezone: true }).notNull(),
    /** Under an approval delegation: the delegation, and the manager (employees.id) the approver decided for. */
    delegationId: uuid("delegation_id").references((): AnyPgColumn => approvalDelegations.id),
    onBehalfOf: uuid("on_behalf_of"),
  },
  (t) => [
    unique("approvals_one_per_approver").on(t.requestId, t.approverId),
    pgPolicy("approvals_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("approvals_definer"),
  ],
).enableRLS();

/**
 * A manager's approvals handed to a colleague for a time window (POST /v1/delegations): while it runs, the
 * delegate decides, reads and comments on the requests of the delegator's direct reports as the manager would
 * (their signed claims carry `acting_for`), never their own. Ends by itself at `ends_at`, or when revoked.
 */
export const approvalDelegations = pgTable(
  "approval_delegations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** The manager (employees.id) whose approvals are delegated. */
    delegatorId: uuid("delegator_id").notNull(),
    /** The colleague (employees.id) who decides for them meanwhile. */
    delegateId: uuid("delegate_id").notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    createdBy: uuid("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: uuid("revoked_by"),
  },
  (t) => [
    foreignKey({
      name: "approval_delegations_delegator_fk",
      columns: [t.tenantId, t.delegatorId],
      foreignColumns: [employees.tenantId, employees.id],
    }),
    foreignKey({
      name: "approval_delegations_delegate_fk",
      columns: [t.tenantId, t.delegateId],
      foreignColumns: [employees.tenantId, employees.id],
    }),
    check("approval_delegations_window", sql`${t.endsAt} > ${t.startsAt}`),
    check("approval_delegations_distinct", sql`${t.delegatorId} <> ${t.delegateId}`),
    check("approval_delegations_revocation", sql`(${t.revokedAt} is null) = (${t.revokedBy} is null)`),
    // A delegate's identity lists the delegations they hold (app.identity), newest end first.
    index("approval_delegations_delegate_idx").on(t.delegateId, t.endsAt),
    index("approval_delegations_delegator_idx").on(t.delegatorId, t.endsAt),
    pgPolicy("approval_delegations_select", {
      for: "select",
      to: appRole,
      using: sql`${t.tenantId} = ${tenantId} and (${t.delegatorId} = ${employeeId} or ${t.delegateId} = ${employeeId} or ${tenantReaders})`,
    }),
    definerOnly("approval_delegations_definer"),
  ],
).enableRLS();

/** A request's comment thread (the employee, their approvers, HR): append-only, each comment sealed like reasons. */
export const requestComments = pgTable(
  "request_comments",
  {
    /** Given by the Worker, which binds the sealed body to it. */
    id: uuid("id").primaryKey(),
    /** The thread's order: comments written within the same millisecond still have one. */
    position: bigint("position", { mode: "number" }).generatedAlwaysAsIdentity(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    requestId: uuid("request_id")
      .notNull()
      .references(() => leaveRequests.id),
    /** The requester: whose key seals the body, and whose rows the policies show. */
    employeeId: uuid("employee_id").notNull(),
    authorId: uuid("author_id").notNull(),
    /** Sealed with the data key `data_key_id` names: the requester's, for the request's year. */
    body: text("body").notNull(),
    dataKeyId: uuid("data_key_id")
      .notNull()
      .references(() => dataKeys.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("request_comments_request_idx").on(t.requestId, t.position),
    // A person's export: the comments on their requests and those they wrote.
    index("request_comments_employee_idx").on(t.employeeId, t.position),
    index("request_comments_author_idx").on(t.authorId, t.position),
    pgPolicy("request_comments_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("request_comments_definer"),
  ],
).enableRLS();

/**
 * Idempotency keys, per caller: the first response is kept and replayed. The key is claimed in the same
 * transaction as the work, so a key never exists without its effects, nor effects without their key.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    callerId: text("caller_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    responseStatus: smallint("response_status").notNull(),
    responseBody: jsonb("response_body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.callerId, t.key] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
    definerOnly("idempotency_keys_definer"),
  ],
).enableRLS();

/** Accrual, rollover and snapshot runs: what ran, for which period, by whom, with what outcome. */
export const ledgerRuns = pgTable(
  "ledger_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    kind: runKindEnum("kind").notNull(),
    period: text("period").notNull(),
    reversesRunId: uuid("reverses_run_id"),
    actorId: text("actor_id").notNull(),
    summary: jsonb("summary").notNull().default(sql`'{}'::jsonb`),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ledger_runs_one_reversal").on(t.reversesRunId),
    index("ledger_runs_tenant_idx").on(t.tenantId, t.kind, t.startedAt),
    pgPolicy("ledger_runs_select", { for: "select", to: appRole, using: sql`${t.tenantId} = ${tenantId} and ${tenantReaders}` }),
    definerOnly("ledger_runs_definer"),
  ],
).enableRLS();

/**
 * The unique key of accruals: one row per (account, period) once the period was processed, whatever it
 * posted (a period capped to 0 is processed too). Catching up after missed runs is running again.
 */
export const accrualPostings = pgTable(
  "accrual_postings",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    accountId: uuid("account_id")
      .notNull()
      .references(() => ledgerAccounts.id),
    employeeId: uuid("employee_id").notNull(),
    period: text("period").notNull(),
    amount: amount("amount").notNull(),
    runId: uuid("run_id").notNull(),
    postedAt: timestamp("posted_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.period] }),
    check("accrual_postings_amount", sql`${t.amount} >= 0`),
    pgPolicy("accrual_postings_select", { for: "select", to: appRole, using: visibleTenantRows(t.tenantId, t.employeeId) }),
    definerOnly("accrual_postings_definer"),
  ],
).enableRLS();
