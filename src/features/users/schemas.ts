import { z } from "@hono/zod-openapi";
import { NewPassword } from "../../domain/credentials";
import { ROLES } from "../../kernel/access";
import { CalendarDate } from "../../kernel/dates";

/** A time zone the runtime knows (IANA name), so dates can be computed in it. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "an IANA time zone such as Europe/Berlin");

/** ISO weekdays worked (1 = Monday … 7 = Sunday), each once, at least one. */
export const WorkWeek = z
  .array(z.number().int().min(1).max(7))
  .min(1)
  .max(7)
  .refine((days) => new Set(days).size === days.length, "each weekday once")
  .openapi({ example: [1, 2, 3, 4, 5] });

const EMMA_USER_ID = "00000000-0000-4000-8100-000000000104";
const EMMA_EMPLOYEE_ID = "00000000-0000-4000-8100-000000000204";

export const UserParams = z.object({
  user_id: z.uuid().openapi({
    param: { name: "user_id", in: "path", description: "The user's id (`user.id` of `GET /v1/me`, `user_id` of `POST /v1/users`)" },
    example: EMMA_USER_ID,
  }),
});
export const RoleParams = UserParams.extend({
  role: z.enum(ROLES).openapi({ param: { name: "role", in: "path", description: "The role to remove" }, example: "manager" }),
});
export const RoleBody = z.object({ role: z.enum(ROLES).openapi({ description: "The role to grant" }) }).openapi("RoleAssignment");
export const RoleChange = z
  .object({
    user_id: z.uuid(),
    role: z.enum(ROLES),
    changed: z.boolean().openapi({
      description: "Whether this call changed anything: false when the user already held (or, for a removal, did not hold) the role",
    }),
  })
  .openapi("RoleChange");

export const CreateUserBody = z
  .object({
    email: z.email().max(254).openapi({ description: "The sign-in email, unique in the tenant (case-insensitively)" }),
    display_name: z.string().min(1).max(200).openapi({ description: "The name shown to colleagues" }),
    employee: z
      .object({
        employee_number: z.string().min(1).max(64).openapi({ description: "The number of the tenant's HR records, unique in the tenant" }),
        manager_id: z
          .uuid()
          .nullable()
          .default(null)
          .openapi({ description: "The employee id of the manager who approves the requests; null for none" }),
        time_zone: TimeZone.openapi({ description: "IANA time zone in which the employee's dates are counted", example: "Europe/Berlin" }),
        hire_date: CalendarDate.openapi({ description: "First day of employment (YYYY-MM-DD)" }),
      })
      .openapi({ description: "The employee record created with the user" }),
    roles: z
      .array(z.enum(ROLES))
      .min(1)
      .max(ROLES.length)
      .default(["employee"])
      .openapi({ description: "Roles granted at once; only a System Admin may grant `system_admin`" }),
  })
  .openapi("CreateUser");
export const CreatedUser = z
  .object({
    user_id: z.uuid().openapi({ description: "The new user's id (for the role and credential routes)" }),
    employee_id: z
      .uuid()
      .openapi({ description: "The new employee record's id (for balances, policies and `PATCH /v1/employees/{employee_id}`)" }),
  })
  .openapi("CreatedUser");

export const EmployeeParams = z.object({
  employee_id: z.uuid().openapi({
    param: { name: "employee_id", in: "path", description: "The employee's id (`employee.id` of `GET /v1/me`)" },
    example: EMMA_EMPLOYEE_ID,
  }),
});
export const UpdateEmployeeBody = z
  .object({
    manager_id: z.uuid().nullable().optional().openapi({ description: "The new manager's employee id; null for none" }),
    time_zone: TimeZone.optional().openapi({ description: "IANA time zone in which the employee's dates are counted" }),
    work_week: WorkWeek.optional().openapi({
      description: "ISO weekdays worked (1 = Monday … 7 = Sunday); leave is charged only for these",
    }),
  })
  .refine((b) => b.manager_id !== undefined || b.time_zone !== undefined || b.work_week !== undefined, {
    error: "change manager_id, time_zone or work_week",
  })
  .openapi("UpdateEmployee", {
    description: "At least one of `manager_id`, `time_zone` or `work_week`; fields left out stay as they are.",
  });
export const EmployeeSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid(),
    employee_number: z.string().openapi({ description: "The number of the tenant's HR records" }),
    manager_id: z.uuid().nullable().openapi({ description: "The employee id of the manager who approves the requests; null when none" }),
    time_zone: z.string().openapi({ description: "IANA time zone in which the employee's dates are counted" }),
    hire_date: CalendarDate.openapi({ description: "First day of employment (YYYY-MM-DD)" }),
    work_week: z.array(z.number().int()).openapi({ description: "ISO weekdays worked, ascending (1 = Monday … 7 = Sunday)" }),
  })
  .openapi("Employee");
export const PasswordBody = z.object({ password: NewPassword.openapi({ description: "12 to 256 characters" }) }).openapi("SetPassword");
export const PinBody = z
  .object({
    pin: z
      .string()
      .regex(/^\d{6,8}$/, "6 to 8 digits")
      .openapi({ description: "The kiosk PIN: 6 to 8 digits, as a string (leading zeros count)" }),
  })
  .openapi("SetPin");
