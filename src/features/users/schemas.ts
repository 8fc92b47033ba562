import { z } from "@hono/zod-openapi";
import { NewPassword } from "../../domain/credentials";
import { EmployeeNumber, SignInEmail, TimeZone } from "../../domain/employees";
import { ROLES } from "../../kernel/access";
import { CalendarDate } from "../../kernel/dates";

const EMMA_USER_ID = "00000000-0000-4000-8100-000000000104";

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
    email: SignInEmail.openapi({ description: "The sign-in email, unique in the tenant (case-insensitively)" }),
    display_name: z.string().min(1).max(200).openapi({ description: "The name shown to colleagues" }),
    employee: z
      .object({
        employee_number: EmployeeNumber.openapi({ description: "The number of the tenant's HR records, unique in the tenant" }),
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

export const PasswordBody = z.object({ password: NewPassword.openapi({ description: "12 to 256 characters" }) }).openapi("SetPassword");
export const PinBody = z
  .object({
    pin: z
      .string()
      .regex(/^\d{6,8}$/, "6 to 8 digits")
      .openapi({ description: "The kiosk PIN: 6 to 8 digits, as a string (leading zeros count)" }),
  })
  .openapi("SetPin");

export const ExternalIdentityBody = z
  .object({
    subject: z
      .string()
      .min(1)
      .max(255)
      .openapi({ description: "The `sub` of the person's tokens from the tenant's external OIDC issuer", example: "00u1a2b3c4d5e6f7g8h9" }),
  })
  .openapi("ExternalIdentity");
export const ExternalIdentityLink = z
  .object({ user_id: z.uuid(), subject: z.string().openapi({ description: "The linked subject" }) })
  .openapi("ExternalIdentityLink");
