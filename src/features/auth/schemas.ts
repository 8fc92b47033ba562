import { z } from "@hono/zod-openapi";
import { TENANT_SLUG_PATTERN } from "../../db/schema";

const tenant = z.string().regex(TENANT_SLUG_PATTERN, "a tenant slug").openapi({ example: "acme" });

export const PasswordLoginBody = z
  .object({
    tenant,
    email: z.email().max(254).openapi({ example: "emma.employee@acme.example" }),
    password: z.string().min(1).max(1024),
  })
  .openapi("PasswordLogin");

export const PinLoginBody = z
  .object({
    tenant,
    employee_number: z.string().min(1).max(64).openapi({ example: "A-004" }),
    pin: z.string().regex(/^\d{4,8}$/, "4 to 8 digits"),
  })
  .openapi("PinLogin");

export const RefreshBody = z.object({ refresh_token: z.string().min(1).max(256) }).openapi("RefreshRequest");

export const TokenPairSchema = z
  .object({
    token_type: z.literal("Bearer"),
    access_token: z.string(),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    refresh_expires_in: z.number().int(),
  })
  .openapi("TokenPair");
export type TokenPair = z.infer<typeof TokenPairSchema>;

export const UnlockBody = z
  .object({ email: z.email().max(254).optional(), employee_number: z.string().min(1).max(64).optional() })
  .refine((b) => (b.email === undefined) !== (b.employee_number === undefined), { error: "give either email or employee_number" })
  .openapi("Unlock");
