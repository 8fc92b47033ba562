import { z } from "@hono/zod-openapi";
import { TENANT_SLUG_PATTERN } from "../../db/schema";

export const TenantSlugParams = z.object({
  slug: z
    .string()
    .regex(TENANT_SLUG_PATTERN, "lowercase letters, digits and dashes, 2 to 63 characters")
    .openapi({
      param: { name: "slug", in: "path", description: "The tenant's slug, as people type it on the login screen" },
      example: "acme",
    }),
});

export const TenantProfileSchema = z
  .object({
    id: z.uuid(),
    slug: z.string().openapi({ description: "The short name used to sign in (`tenant` of the login bodies)" }),
    name: z.string().openapi({ description: "The display name, for login screens" }),
  })
  .openapi("TenantProfile");
export type TenantProfile = z.infer<typeof TenantProfileSchema>;
