import { z } from "@hono/zod-openapi";
import { NewPassword } from "../../domain/credentials";
import { PERMISSION_NAMES, ROLES } from "../../kernel/access";
import { CalendarDate } from "../../kernel/dates";

export const MeSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), display_name: z.string() }),
    tenant_id: z.uuid(),
    roles: z.array(z.enum(ROLES)).openapi({ description: "The roles the caller holds in the tenant" }),
    employee: z
      .object({
        id: z.uuid().openapi({ description: "The employee id, used by balances, requests and approvals" }),
        employee_number: z.string().openapi({ description: "The number of the tenant's HR records (used for kiosk PIN sign-in)" }),
        manager_id: z
          .uuid()
          .nullable()
          .openapi({ description: "The employee id of the manager who approves the requests; null when none" }),
        time_zone: z
          .string()
          .openapi({ description: "IANA time zone in which the employee's dates are counted", example: "Europe/Berlin" }),
        hire_date: CalendarDate.openapi({ description: "First day of employment (YYYY-MM-DD)" }),
      })
      .nullable()
      .openapi({ description: "The caller's employee record; null for a user without one" }),
  })
  .openapi("Me");

export const PermissionsSchema = z
  .object({
    roles: z.array(z.enum(ROLES)).openapi({ description: "The roles the caller holds (an API key: its one role)" }),
    permissions: z
      .array(z.enum(PERMISSION_NAMES))
      .openapi({ description: "Every permission those roles grant (narrowed to its scopes for an API key that has any)" }),
  })
  .openapi("MyPermissions");

export const ChangePasswordBody = z
  .object({
    current_password: z.string().min(1).max(1024),
    new_password: NewPassword.openapi({ description: "12 to 256 characters" }),
  })
  .openapi("ChangePassword");
