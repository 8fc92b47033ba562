import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { targetEmployee } from "../../domain/employees";
import { adjustmentNote } from "../../domain/ledger-entries";
import { IdempotencyHeaders, writeLedger } from "../../domain/ledger-write";
import { IDEMPOTENCY_KEY_HEADER } from "../../kernel/constants";
import type { AppContext } from "../../kernel/context";
import { wantsCsv } from "../../kernel/csv";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  AdjustmentBody,
  AsOfQuery,
  BalanceReportPage,
  BalanceReportQuery,
  EmployeeBalances,
  EmployeeParams,
  EntryListQuery,
  EntryPage,
  LedgerEntrySchema,
  TeamBalances,
  UsageReportPage,
  UsageReportQuery,
} from "./schemas";
import {
  balanceReport,
  balanceReportCsv,
  balanceView,
  employeeBalances,
  listEntries,
  teamBalances,
  usageReport,
  usageReportCsv,
} from "./service";

const READ_ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

/** The demo tenant (`acme`) on 2 December 2026: Emma has 3 days approved and a day pending; Eli, in Tokyo, is a day ahead. */
const EMMA = "00000000-0000-4000-8100-000000000204";
const ELI = "00000000-0000-4000-8100-000000000205";
const PTO_V1 = "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80";
const EMMA_BALANCES: z.output<typeof EmployeeBalances> = {
  employee_id: EMMA,
  employee_name: "Emma Employee",
  today: "2026-12-02",
  as_of: null,
  known_at: null,
  forecast: false,
  balances: [
    {
      policy_key: "pto-standard",
      unit: "day",
      tracking: "tracked",
      posted: 26.9996,
      projected: 0,
      pending: 1,
      negative_allowance: 2,
      available: 27.9996,
    },
  ],
};
const ELI_BALANCES: z.output<typeof EmployeeBalances> = {
  employee_id: ELI,
  employee_name: "Eli Employee",
  today: "2026-12-03",
  as_of: null,
  known_at: null,
  forecast: false,
  balances: [
    {
      policy_key: "pto-standard",
      unit: "day",
      tracking: "tracked",
      posted: 29.9996,
      projected: 0,
      pending: 0,
      negative_allowance: 2,
      available: 31.9996,
    },
  ],
};
/** Emma's request for 21–23 December, once approved: its hold (62), released (63), and a usage entry per day. */
const REQUEST = "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64";
const APPROVED_AT = "2026-12-02T15:20:31.117+00:00";
const entry = (fields: Partial<z.output<typeof LedgerEntrySchema>>): z.output<typeof LedgerEntrySchema> => ({
  id: 0,
  employee_id: EMMA,
  policy_key: "pto-standard",
  policy_version_id: PTO_V1,
  kind: "usage",
  amount: 0,
  effective_date: "2026-12-21",
  recorded_at: APPROVED_AT,
  reference: "",
  request_id: REQUEST,
  run_id: null,
  resolves_entry_id: null,
  expires_at: null,
  note: null,
  ...fields,
});
const usage = (id: number, day: string) => entry({ id, amount: -1, effective_date: day, reference: `request:${REQUEST}:usage:${day}` });
const ENTRIES_EXAMPLE: z.output<typeof EntryPage> = {
  data: [
    usage(66, "2026-12-23"),
    usage(65, "2026-12-22"),
    usage(64, "2026-12-21"),
    entry({ id: 63, kind: "hold_release", amount: 3, reference: `request:${REQUEST}:release`, resolves_entry_id: 62, note: "approved" }),
    entry({
      id: 62,
      kind: "hold",
      amount: -3,
      recorded_at: "2026-12-01T08:47:13.502+00:00",
      reference: `request:${REQUEST}:hold`,
      expires_at: "2026-12-08T08:47:13.502+00:00",
    }),
  ],
  pagination: { next_cursor: "WzYyXQ", has_more: true },
};

const mine = createRoute({
  method: "get",
  path: "/v1/me/balances",
  tags: ["Balances"],
  operationId: "getMyBalances",
  summary: "Get your balances",
  description:
    "Your balance in each policy you have a ledger account in: `posted` (settled entries), `pending` (held by open requests) and " +
    "`available` (what a new request may take). With `as_of`, only entries effective on or before that date count. " +
    "For any signed-in user with an employee record.",
  ...signedIn("self:read"),
  request: { query: AsOfQuery },
  responses: { 200: jsonResponse("Balances", EmployeeBalances, EMMA_BALANCES), ...errorResponses(...READ_ERRORS) },
});

const employee = createRoute({
  method: "get",
  path: "/v1/employees/{id}/balances",
  tags: ["Balances"],
  operationId: "getEmployeeBalances",
  summary: "Get an employee's balances",
  description:
    "An employee's balances, as `GET /v1/me/balances` gives yours. You may read your own, your direct reports' (managers), " +
    "or anyone's in the tenant (HR Admin, System Admin, Auditor); any other employee is `RESOURCE_NOT_FOUND`.",
  ...signedIn("self:read"),
  request: { params: EmployeeParams, query: AsOfQuery },
  responses: { 200: jsonResponse("Balances", EmployeeBalances, EMMA_BALANCES), ...errorResponses(...READ_ERRORS) },
});

const team = createRoute({
  method: "get",
  path: "/v1/team/balances",
  tags: ["Balances"],
  operationId: "getTeamBalances",
  summary: "Get your team's balances",
  description:
    "The balances of each of your direct reports, as `GET /v1/me/balances` gives yours. For managers; HR Admins, System Admins " +
    "and Auditors may call it too, and get their own direct reports'.",
  ...signedIn("team:read"),
  request: { query: AsOfQuery },
  responses: {
    200: jsonResponse("Balances per report", TeamBalances, { data: [EMMA_BALANCES, ELI_BALANCES] }),
    ...errorResponses(...READ_ERRORS),
  },
});

const entries = createRoute({
  method: "get",
  path: "/v1/ledger-entries",
  tags: ["Balances"],
  operationId: "listLedgerEntries",
  summary: "List ledger entries",
  description:
    "The entries behind an employee's balances (credits, holds, usage, expiries, reversals), never edited once posted. " +
    "Yours by default; with `employee_id`, your direct reports' (managers) or anyone's in the tenant (HR Admin, System Admin, Auditor). " +
    "Cursor-paginated, sorted by `sort`, filterable by policy, kind and effective dates.",
  ...signedIn("self:read"),
  request: { query: EntryListQuery },
  responses: { 200: jsonResponse("A page of entries", EntryPage, ENTRIES_EXAMPLE), ...errorResponses(...READ_ERRORS) },
});

const adjust = createRoute({
  method: "post",
  path: "/v1/employees/{id}/ledger-entries",
  tags: ["Balances"],
  operationId: "postLedgerEntry",
  summary: "Post a grant or an adjustment",
  description:
    "Posts a `grant` (a positive credit) or an `adjustment` (a correction of either sign) to an employee's balance in a policy, " +
    "under the policy's newest version; HR Admins and System Admins only. Never blocked by the policy's limits: it corrects the ledger. " +
    "Requires an `Idempotency-Key`; audited as `ledger.grant` or `ledger.adjustment`.",
  ...signedIn("policy:manage"),
  request: {
    headers: IdempotencyHeaders,
    params: EmployeeParams,
    body: jsonBody(AdjustmentBody, {
      policy_key: "pto-standard",
      kind: "grant",
      amount: 1,
      effective_date: "2026-12-02",
      note: "Volunteering day at the city food bank",
    }),
  },
  responses: {
    201: jsonResponse(
      "The entry",
      LedgerEntrySchema,
      entry({
        id: 71,
        kind: "grant",
        amount: 1,
        effective_date: "2026-12-02",
        recorded_at: "2026-12-02T16:05:09.664+00:00",
        reference: "manual:00000000-0000-4000-8100-000000000102:2f1c3b6e-grant-1",
        request_id: null,
        note: "Volunteering day at the city food bank",
      }),
    ),
    ...errorResponses("INVALID_INPUT", "DUPLICATE_REQUEST", ...READ_ERRORS),
  },
});

const report = createRoute({
  method: "get",
  path: "/v1/reports/balances",
  operationId: "reportBalances",
  tags: ["Balances"],
  summary: "Report the tenant's balances",
  description:
    "Every employee's balances (or one policy's), as of a date if asked, a page of employees by id with a cursor; filterable by manager. " +
    'JSON, or CSV with `Accept: text/csv` (a line per employee and policy; the next page\'s URL in a `Link` header, `rel="next"`; ' +
    "cells a spreadsheet would run as a formula are prefixed with `'`). One database round trip a page. HR Admin, System Admin, Auditor.",
  ...signedIn("tenant:read"),
  request: { query: BalanceReportQuery },
  responses: {
    200: {
      description: "A page of balances",
      content: {
        "application/json": {
          schema: BalanceReportPage,
          example: { data: [EMMA_BALANCES, ELI_BALANCES], pagination: { next_cursor: null, has_more: false } },
        },
        "text/csv": {
          schema: z.string(),
          example:
            "employee_id,employee_name,policy_key,unit,tracking,posted,projected,pending,negative_allowance,available,as_of,known_at,today,forecast\n" +
            `${EMMA},Emma Employee,pto-standard,day,tracked,26.9996,0,1,2,27.9996,,,2026-12-02,false\n`,
        },
      },
    },
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const usageReportRoute = createRoute({
  method: "get",
  path: "/v1/reports/usage",
  operationId: "reportUsage",
  tags: ["Balances"],
  summary: "Report leave taken in a period, for payroll",
  description:
    "Leave taken by each employee between `from` and `to` (at most 366 days), per policy with its category and unit: usage less " +
    "reversals, by leave date, so a cancelled day counts nothing. A page of employees by id with a cursor; filterable by policy " +
    "and manager. JSON, or CSV with `Accept: text/csv` (next page in a `Link` header). One database round trip a page. " +
    "HR Admin, System Admin, Auditor.",
  ...signedIn("tenant:read"),
  request: { query: UsageReportQuery },
  responses: {
    200: {
      description: "A page of leave taken",
      content: {
        "application/json": {
          schema: UsageReportPage,
          example: {
            from: "2026-12-01",
            to: "2026-12-31",
            data: [
              {
                employee_id: EMMA,
                employee_name: "Emma Employee",
                usage: [{ policy_key: "pto-standard", category: "vacation", unit: "day", used: 3 }],
              },
            ],
            pagination: { next_cursor: null, has_more: false },
          },
        },
        "text/csv": {
          schema: z.string(),
          example: `employee_id,employee_name,policy_key,category,unit,used,from,to\n${EMMA},Emma Employee,pto-standard,vacation,day,3,2026-12-01,2026-12-31\n`,
        },
      },
    },
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

/** A report page as the client asked: JSON, or CSV (`Accept: text/csv`) with the next page's URL in a `Link` header. */
function reportAnswer<P extends { pagination: { next_cursor: string | null } }>(c: AppContext, page: P, csv: (page: P) => string) {
  if (!wantsCsv(c.req.header("Accept"))) return c.json(page, 200);
  const next = new URL(c.req.url);
  if (page.pagination.next_cursor) next.searchParams.set("cursor", page.pagination.next_cursor);
  return c.body(csv(page), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    ...(page.pagination.next_cursor ? { Link: `<${next.pathname}${next.search}>; rel="next"` } : {}),
  });
}

export const balanceRoutes = createRouter()
  .openapi(report, async (c) =>
    reportAnswer(c, await balanceReport(c.get("config"), c.get("principal"), c.req.valid("query"), c.get("now")), balanceReportCsv),
  )
  .openapi(usageReportRoute, async (c) =>
    reportAnswer(c, await usageReport(c.get("config"), c.get("principal"), c.req.valid("query")), usageReportCsv),
  )
  .openapi(mine, async (c) => {
    const principal = c.get("principal");
    return c.json(
      await employeeBalances(c.get("config"), principal, targetEmployee(principal), balanceView(c.req.valid("query")), c.get("now")),
      200,
    );
  })
  .openapi(employee, async (c) =>
    c.json(
      await employeeBalances(c.get("config"), c.get("principal"), c.req.valid("param").id, balanceView(c.req.valid("query")), c.get("now")),
      200,
    ),
  )
  .openapi(team, async (c) =>
    c.json({ data: await teamBalances(c.get("config"), c.get("principal"), balanceView(c.req.valid("query")), c.get("now")) }, 200),
  )
  .openapi(entries, async (c) => c.json(await listEntries(c.get("config"), c.get("principal"), requestFacts(c), c.req.valid("query")), 200))
  .openapi(adjust, (c) => {
    const input = { employee_id: c.req.valid("param").id, ...c.req.valid("json") };
    const note = adjustmentNote(c.get("principal"), c.req.header(IDEMPOTENCY_KEY_HEADER)!, input);
    return writeLedger(c, "adjust", input, { schema: LedgerEntrySchema, status: 201 }, note);
  });
