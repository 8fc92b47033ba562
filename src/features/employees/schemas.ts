import { z } from "@hono/zod-openapi";
import { POLICY_KEY_PATTERN, userStatusEnum } from "../../db/schema";
import { HolidayCalendarKey } from "../../domain/calendar";
import { EmployeeNumber, SignInEmail, TimeZone, WorkWeek } from "../../domain/employees";
import { RequestCorrection } from "../../domain/leave-requests";
import { CalendarDate } from "../../kernel/dates";
import { queryInteger } from "../../kernel/pagination";

export const EMMA_EMPLOYEE_ID = "00000000-0000-4000-8100-000000000204";
export const MIKE_EMPLOYEE_ID = "00000000-0000-4000-8100-000000000203";

export const EmployeeParams = z.object({
  employee_id: z.uuid().openapi({
    param: { name: "employee_id", in: "path", description: "The employee's id (`employee.id` of `GET /v1/me`)" },
    example: EMMA_EMPLOYEE_ID,
  }),
});

export const EmployeeSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid().openapi({ description: "The user's id, for the role and credential routes (`/v1/users/{user_id}/…`)" }),
    display_name: z.string().openapi({ description: "The name shown to colleagues" }),
    email: z.string().openapi({ description: "The sign-in email" }),
    external_subject: z.string().nullable().openapi({
      description:
        "The subject of the tenant's single sign-on issuer linked to this person (`PUT /v1/users/{user_id}/external-identity`); null when none",
    }),
    status: z.enum(userStatusEnum.enumValues).openapi({
      description: "`active`; `deactivated` (cannot sign in); `erased` (personal data erased, for good)",
    }),
    employee_number: z.string().openapi({ description: "The number of the tenant's HR records" }),
    manager_id: z.uuid().nullable().openapi({ description: "The employee id of the manager who approves the requests; null when none" }),
    manager_name: z.string().nullable().openapi({ description: "The manager's name; null when none" }),
    time_zone: z.string().openapi({ description: "IANA time zone in which the employee's dates are counted" }),
    hire_date: CalendarDate.openapi({ description: "First day of employment (YYYY-MM-DD)" }),
    end_date: CalendarDate.nullable().openapi({ description: "Last day of employment; null while employed" }),
    work_week: z.array(z.number().int()).openapi({ description: "ISO weekdays worked, ascending (1 = Monday … 7 = Sunday)" }),
    holiday_calendar: z.string().openapi({ description: "The holiday calendar the employee follows (`default` unless set)" }),
  })
  .openapi("Employee");
export type Employee = z.infer<typeof EmployeeSchema>;

/** The answer of a change: the record, and the open requests a new holiday calendar or work week repriced. */
export const UpdatedEmployeeSchema = EmployeeSchema.extend({
  corrections: z.array(RequestCorrection).openapi({
    description:
      "The person's approved and pending requests repriced from their today on because `holiday_calendar` or `work_week` changed (each audited " +
      "as `request.correct`; `below_allowance` flags a balance taken below its negative allowance); empty otherwise",
  }),
}).openapi("UpdatedEmployee");
export type UpdatedEmployee = z.infer<typeof UpdatedEmployeeSchema>;

export const EMMA_EXAMPLE: Employee = {
  id: EMMA_EMPLOYEE_ID,
  user_id: "00000000-0000-4000-8100-000000000104",
  display_name: "Emma Employee",
  email: "emma.employee@acme.example",
  external_subject: null,
  status: "active",
  employee_number: "A-004",
  manager_id: MIKE_EMPLOYEE_ID,
  manager_name: "Mike Manager",
  time_zone: "Europe/Berlin",
  hire_date: "2022-09-01",
  end_date: null,
  work_week: [1, 2, 3, 4, 5],
  holiday_calendar: "berlin",
};

/** The directory's sorts: each an allow-listed column, `-` for descending; ties are broken by id. */
export const EMPLOYEE_SORTS = [
  "name",
  "-name",
  "email",
  "-email",
  "employee_number",
  "-employee_number",
  "hire_date",
  "-hire_date",
] as const;
export type EmployeeSort = (typeof EMPLOYEE_SORTS)[number];
export const MAX_DIRECTORY_PAGE = 200;

export const EmployeeListQuery = z.object({
  offset: queryInteger(0, 1_000_000).default(0).openapi({ description: "How many matches to skip", example: 0 }),
  limit: queryInteger(1, MAX_DIRECTORY_PAGE)
    .default(50)
    .openapi({ description: `How many to return (at most ${MAX_DIRECTORY_PAGE})`, example: 50 }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Part of a name, an email or an employee number, any case", example: "emma" }),
  manager_id: z.uuid().optional().openapi({ description: "Only the direct reports of this employee" }),
  active: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({
      description:
        "`true`: people who can sign in and whose employment has not ended; `false`: the others (deactivated, erased, past their end date)",
    }),
  policy_key: z
    .string()
    .regex(POLICY_KEY_PATTERN)
    .optional()
    .openapi({ description: "Only people assigned to this policy today (in their own time zone)" }),
  sort: z.enum(EMPLOYEE_SORTS).default("name").openapi({ description: "`-` for descending; ties are ordered by id" }),
});
export type EmployeeListFilter = z.output<typeof EmployeeListQuery>;

export const EmployeePage = z
  .object({
    data: z.array(EmployeeSchema),
    total: z.number().int().openapi({ description: "Employees matching, across all pages" }),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .openapi("EmployeePage");

/** What HR may change of an employee's record; the fields of the user account (name, email) among them. */
export const UpdateEmployeeBody = z
  .object({
    display_name: z.string().trim().min(1).max(200).optional().openapi({ description: "The name shown to colleagues" }),
    email: SignInEmail.optional().openapi({
      description: "The sign-in email, unique in the tenant (case-insensitively); changing it ends every session of the person",
    }),
    employee_number: EmployeeNumber.optional().openapi({ description: "The number of the tenant's HR records, unique in the tenant" }),
    hire_date: CalendarDate.optional().openapi({ description: "First day of employment (YYYY-MM-DD)" }),
    manager_id: z.uuid().nullable().optional().openapi({ description: "The new manager's employee id; null for none" }),
    time_zone: TimeZone.optional().openapi({ description: "IANA time zone in which the employee's dates are counted" }),
    work_week: WorkWeek.optional().openapi({
      description: "ISO weekdays worked (1 = Monday … 7 = Sunday); leave is charged only for these",
    }),
    holiday_calendar: HolidayCalendarKey.optional().openapi({
      description: "The holiday calendar to follow (their location's); requests submitted afterwards are charged by it",
    }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { error: "change at least one field" })
  .openapi("UpdateEmployee", { description: "At least one field; fields left out stay as they are." });
export type UpdateEmployee = z.output<typeof UpdateEmployeeBody>;

export const TerminationBody = z
  .object({
    end_date: CalendarDate.openapi({ description: "The last day of employment (in the employee's calendar), on or after the hire date" }),
  })
  .openapi("Termination");

export const TerminationReport = z
  .object({
    employee_id: z.uuid(),
    end_date: CalendarDate,
    cancelled_request_ids: z.array(z.uuid()).openapi({
      description: "Requests cancelled: pending ones with a day after the end date, approved ones wholly after it",
    }),
    reversed_entries: z.number().int().openapi({ description: "Usage entries of approved days after the end date, reversed" }),
    accrual_corrections: z.number().int().openapi({ description: "Entries that prorate accruals to the end date" }),
    final_balances: z
      .array(
        z.object({
          policy_key: z.string(),
          unit: z.string(),
          posted: z.number().openapi({ description: "The final balance, in the policy's unit (no payout is computed)" }),
          pending: z.number().openapi({ description: "Still held by pending requests (0 unless some end on or before the end date)" }),
        }),
      )
      .openapi({ description: "Each policy's balance after the end, by policy key" }),
  })
  .openapi("TerminationReport");
