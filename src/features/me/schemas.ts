import { z } from "@hono/zod-openapi";
import { NewPassword } from "../../domain/credentials";
import { PERMISSION_NAMES, ROLES } from "../../kernel/access";

export const MeSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), display_name: z.string() }),
    tenant_id: z.uuid(),
    roles: z.array(z.enum(ROLES)),
    employee: z
      .object({ id: z.uuid(), employee_number: z.string(), manager_id: z.uuid().nullable(), time_zone: z.string(), hire_date: z.string() })
      .nullable(),
  })
  .openapi("Me");

export const PermissionsSchema = z
  .object({ roles: z.array(z.enum(ROLES)), permissions: z.array(z.enum(PERMISSION_NAMES)) })
  .openapi("MyPermissions");

export const ChangePasswordBody = z
  .object({ current_password: z.string().min(1).max(1024), new_password: NewPassword })
  .openapi("ChangePassword");
