import { z } from "@hono/zod-openapi";
import { TENANT_SLUG_PATTERN } from "../../db/schema";

const tenant = z
  .string()
  .regex(TENANT_SLUG_PATTERN, "a tenant slug")
  .openapi({ description: "The slug of the tenant to sign in to", example: "acme" });

export const PasswordLoginBody = z
  .object({
    tenant,
    email: z.email().max(254).openapi({ description: "Compared case-insensitively", example: "emma.employee@acme.example" }),
    password: z.string().min(1).max(1024),
  })
  .openapi("PasswordLogin");

export const PinLoginBody = z
  .object({
    tenant,
    employee_number: z.string().min(1).max(64).openapi({ description: "The employee number of the tenant's HR records", example: "A-004" }),
    pin: z
      .string()
      .regex(/^\d{4,8}$/, "4 to 8 digits")
      .openapi({ description: "The kiosk PIN: 4 to 8 digits, as a string (leading zeros count)" }),
  })
  .openapi("PinLogin");

export const RefreshBody = z
  .object({
    refresh_token: z.string().min(1).max(256).openapi({ description: "The `refresh_token` of the last token pair (`llr_…`)" }),
  })
  .openapi("RefreshRequest");

export const TokenPairSchema = z
  .object({
    token_type: z.literal("Bearer").openapi({ description: "Send the access token as `Authorization: Bearer <access_token>`" }),
    access_token: z.string().openapi({ description: "A signed JWT (ES256) naming the user and tenant; it carries no roles" }),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires" }),
    refresh_token: z.string().openapi({ description: "An opaque token (`llr_…`) for `POST /v1/auth/refresh`; it works once" }),
    refresh_expires_in: z.number().int().openapi({ description: "Seconds until the refresh token expires, unless used or revoked first" }),
  })
  .openapi("TokenPair");
export type TokenPair = z.infer<typeof TokenPairSchema>;

export const UnlockBody = z
  .object({
    email: z.email().max(254).optional().openapi({ description: "The email a password login was locked for" }),
    employee_number: z.string().min(1).max(64).optional().openapi({ description: "The employee number a PIN login was locked for" }),
  })
  .refine((b) => (b.email === undefined) !== (b.employee_number === undefined), { error: "give either email or employee_number" })
  .openapi("Unlock", { description: "Exactly one of `email` or `employee_number`: the locked login identifier, in the caller's tenant." });
