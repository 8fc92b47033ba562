import { z } from "@hono/zod-openapi";
import { PERMISSION_NAMES, ROLES, type Role } from "../../kernel/access";

export const KEY_ROLES = ROLES.filter((r) => r !== "system_admin") as [Exclude<Role, "system_admin">, ...Exclude<Role, "system_admin">[]];

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    role: z.enum(KEY_ROLES),
    scopes: z.array(z.enum(PERMISSION_NAMES)),
    created_at: z.string(),
    rotated_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");
export const NewApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: "Shown once; store it now." }) }).openapi(
  "NewApiKey",
);
export const ApiKeyPage = z.object({
  data: z.array(ApiKeySchema),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
});
export const CreateApiKeyBody = z
  .object({
    name: z.string().min(1).max(100),
    role: z.enum(KEY_ROLES),
    scopes: z.array(z.enum(PERMISSION_NAMES)).max(PERMISSION_NAMES.length).default([]),
  })
  .openapi("CreateApiKey");
export const KeyParams = z.object({ key_id: z.uuid().openapi({ param: { name: "key_id", in: "path" } }) });
