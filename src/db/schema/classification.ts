import type { PgTable } from "drizzle-orm/pg-core";
import * as tables from "./index";

/**
 * What every column of every table holds, classified once (docs/data-protection.md shows the table, generated
 * from this one by `npm run docs:classification`):
 *
 * - `confidential`: leave and approval reasons and comments, adjustment notes, anything medical or
 *   salary-related that free text may carry (and what is derived from it: stored answers, request hashes, audit
 *   details), and credentials (hashes, key material);
 * - `personal`: what identifies or describes a person: names, emails, employee numbers, external identities,
 *   time zones, hire dates, and the IPs and user agents in the audit log;
 * - `internal`: the ledger and its mechanics: ids, amounts, dates, statuses, assignments, versions, timestamps;
 * - `public`: policy definitions, which every employee of the tenant may read.
 *
 * A table's columns are typed from its drizzle definition, so a column added without a class does not compile,
 * and `test/node/classification.test.ts` fails on a table missing here.
 */
export const DATA_CLASSES = ["confidential", "personal", "internal", "public"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

type Classes<T extends PgTable> = { [Column in keyof T["_"]["columns"]]: DataClass };

function classify<T extends PgTable>(table: T, classes: Classes<T>): { table: PgTable; classes: Record<string, DataClass> } {
  return { table, classes };
}

const I = "internal";
const P = "personal";
const C = "confidential";
const PUBLIC = "public";

export const CLASSIFICATION = [
  classify(tables.tenants, {
    id: I,
    slug: I,
    name: I,
    status: I,
    createdAt: I,
    auditRetentionYears: I,
    confidentialRetentionYears: I,
  }),
  classify(tables.users, {
    id: I,
    tenantId: I,
    email: P,
    displayName: P,
    status: I,
    sessionVersion: I,
    permissionVersion: I,
    externalSubject: P,
    createdAt: I,
    updatedAt: I,
    erasedAt: I,
  }),
  classify(tables.employees, {
    id: I,
    tenantId: I,
    userId: I,
    employeeNumber: P,
    managerId: I,
    timeZone: P,
    hireDate: P,
    endDate: P,
    workWeek: I,
    createdAt: I,
  }),
  classify(tables.roleAssignments, { tenantId: I, userId: I, role: I, grantedBy: I, grantedAt: I }),
  classify(tables.credentials, { userId: I, tenantId: I, passwordHash: C, pinHash: C, updatedAt: I }),
  classify(tables.refreshTokens, {
    id: I,
    tenantId: I,
    userId: I,
    familyId: I,
    tokenHash: C,
    createdAt: I,
    expiresAt: I,
    usedAt: I,
    revokedAt: I,
    sessionVersion: I,
    kiosk: I,
  }),
  classify(tables.apiKeys, {
    id: I,
    tenantId: I,
    name: I,
    prefix: I,
    keyHash: C,
    role: I,
    scopes: I,
    createdBy: I,
    createdAt: I,
    rotatedAt: I,
    lastUsedAt: I,
    revokedAt: I,
  }),
  classify(tables.claimsKeys, { kid: I, secret: C, createdAt: I }),
  // Wrapped keys are ciphertext, but they are what unlocks confidential fields: destroyed with the data.
  classify(tables.dataKeys, {
    id: I,
    tenantId: I,
    employeeId: I,
    year: I,
    wrapped: C,
    kekId: I,
    createdAt: I,
    rewrappedAt: I,
    destroyedAt: I,
  }),
  classify(tables.auditLog, {
    id: I,
    tenantId: I,
    occurredAt: I,
    actorType: I,
    actorId: I,
    action: I,
    targetType: I,
    targetId: I,
    success: I,
    ip: P,
    userAgent: P,
    requestId: I,
    // Details say what the action was about; rows written before comments were sealed repeat approval comments.
    details: C,
    personalDetails: P,
    chain: I,
    chainSeq: I,
    hash: I,
    // The salt makes the digest of the personal fields unguessable; it is erased with them.
    personalSalt: P,
    personalDigest: I,
  }),
  classify(tables.auditChainHeads, { chainId: I, chain: I, lastSeq: I, lastHash: I }),
  classify(tables.auditCheckpoints, {
    id: I,
    tenantId: I,
    chain: I,
    chainSeq: I,
    hash: I,
    rowsPurged: I,
    purgedBefore: I,
    createdAt: I,
    signature: I,
  }),
  classify(tables.auditCheckpointKeys, { kid: I, secret: C, createdAt: I }),
  classify(tables.leavePolicies, {
    id: PUBLIC,
    tenantId: I,
    key: PUBLIC,
    version: PUBLIC,
    name: PUBLIC,
    category: PUBLIC,
    unit: PUBLIC,
    tracking: PUBLIC,
    accrualPeriod: PUBLIC,
    accrualYear: PUBLIC,
    accrualAmount: PUBLIC,
    maxBalance: PUBLIC,
    carryoverCap: PUBLIC,
    carryoverExpiryMonths: PUBLIC,
    negativeAllowance: PUBLIC,
    waitingPeriodDays: PUBLIC,
    approvalsRequired: PUBLIC,
    approvalTtlHours: PUBLIC,
    managersMayRecord: PUBLIC,
    effectiveFrom: PUBLIC,
    createdBy: I,
    createdAt: I,
  }),
  classify(tables.policyAssignments, {
    id: I,
    tenantId: I,
    employeeId: I,
    policyKey: I,
    startsOn: I,
    endsOn: I,
    createdBy: I,
    createdAt: I,
  }),
  classify(tables.holidays, { tenantId: I, day: I, name: I, createdAt: I }),
  classify(tables.ledgerAccounts, { id: I, tenantId: I, employeeId: I, policyKey: I, openedAt: I }),
  classify(tables.ledgerEntries, {
    id: I,
    tenantId: I,
    accountId: I,
    employeeId: I,
    policyKey: I,
    policyVersionId: I,
    kind: I,
    amount: I,
    effectiveDate: I,
    recordedAt: I,
    reference: I,
    requestId: I,
    runId: I,
    resolvesEntryId: I,
    expiresAt: I,
    actorId: I,
    // Why days were granted or taken away: often salary- or health-related.
    note: C,
    dataKeyId: I,
    // Written by the system only ("approved", "year-end 2026"): nothing about the person.
    systemNote: I,
  }),
  classify(tables.balanceSnapshots, {
    id: I,
    tenantId: I,
    accountId: I,
    employeeId: I,
    asOf: I,
    throughEntryId: I,
    settledToDate: I,
    settledAfter: I,
    takenAt: I,
  }),
  classify(tables.leaveRequests, {
    id: I,
    tenantId: I,
    employeeId: I,
    accountId: I,
    policyKey: I,
    policyVersionId: I,
    startDate: I,
    endDate: I,
    startPart: I,
    endPart: I,
    days: I,
    amount: I,
    reason: C,
    dataKeyId: I,
    status: I,
    approvalsRequired: I,
    expiresAt: I,
    submittedBy: I,
    submittedAt: I,
    resolvedAt: I,
    resolvedBy: I,
  }),
  classify(tables.bookedDays, { tenantId: I, employeeId: I, day: I, half: I, requestId: I }),
  classify(tables.requestComments, {
    id: I,
    position: I,
    tenantId: I,
    requestId: I,
    employeeId: I,
    authorId: I,
    body: C,
    dataKeyId: I,
    createdAt: I,
  }),
  classify(tables.approvals, {
    id: I,
    tenantId: I,
    requestId: I,
    employeeId: I,
    approverId: I,
    decision: I,
    comment: C,
    dataKeyId: I,
    decidedAt: I,
  }),
  classify(tables.idempotencyKeys, {
    tenantId: I,
    callerId: I,
    key: I,
    // A hash of the request body (a reason can be guessed back from it) and the stored answer (which repeats it).
    requestHash: C,
    responseStatus: I,
    responseBody: C,
    createdAt: I,
  }),
  classify(tables.ledgerRuns, { id: I, tenantId: I, kind: I, period: I, reversesRunId: I, actorId: I, summary: I, startedAt: I }),
  classify(tables.accrualPostings, { tenantId: I, accountId: I, employeeId: I, period: I, amount: I, runId: I, postedAt: I }),
];
