import { z } from "@hono/zod-openapi";
import { PERMISSION_NAMES, ROLES, type Role } from "../../kernel/access";

export const KEY_ROLES = ROLES.filter((r) => r !== "system_admin") as [Exclude<Role, "system_admin">, ...Exclude<Role, "system_admin">[]];

const role = z.enum(KEY_ROLES).openapi({ description: "The one role the key acts with (never `system_admin`)" });
const SCOPES_DESCRIPTION = "Permissions the key is narrowed to, within its role's; empty: everything the role allows";
const timestamp = (description: string) => z.iso.datetime().nullable().openapi({ description });

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string().openapi({ description: "What the key is for, as given when it was created" }),
    prefix: z.string().openapi({
      description: "The public part of the key (`llk_<prefix>_…`), kept across rotations: it names the key in lists and logs",
      example: "3cda38e31c00",
    }),
    role,
    scopes: z.array(z.enum(PERMISSION_NAMES)).openapi({ description: SCOPES_DESCRIPTION }),
    created_at: z.iso.datetime().openapi({ description: "When the key was created (UTC)" }),
    rotated_at: timestamp("When the secret was last replaced (UTC); null if never"),
    last_used_at: timestamp("When the key last authenticated a request (UTC, updated at most once a minute); null if never"),
    revoked_at: timestamp("When the key was revoked (UTC); null while it works"),
  })
  .openapi("ApiKey");
export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({
    description: "The whole key (`llk_<prefix>_<secret>`), to send as `Authorization: Bearer <key>`. Shown once; store it now.",
  }),
}).openapi("NewApiKey");
export const ApiKeyPage = z
  .object({
    data: z.array(ApiKeySchema).openapi({ description: "The keys, newest first, revoked ones included" }),
    total: z.number().int().openapi({ description: "How many keys the tenant has in all" }),
    offset: z.number().int().openapi({ description: "The `offset` of this page" }),
    limit: z.number().int().openapi({ description: "The `limit` of this page" }),
  })
  .openapi("ApiKeyPage");
export const CreateApiKeyBody = z
  .object({
    name: z.string().min(1).max(100).openapi({ description: "What the key is for, to recognise it in lists" }),
    role,
    scopes: z.array(z.enum(PERMISSION_NAMES)).max(PERMISSION_NAMES.length).default([]).openapi({ description: SCOPES_DESCRIPTION }),
  })
  .openapi("CreateApiKey");
export const KeyParams = z.object({
  key_id: z.uuid().openapi({
    param: { name: "key_id", in: "path", description: "The key's `id` (not its prefix)" },
    example: "6f1c2a9e-4b7d-4c3e-9a85-2d7b1e0f4c36",
  }),
});
