import { z } from "@hono/zod-openapi";

/** Same rule as the `tenants_slug_format` check in the database. */
export const TENANT_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const TenantSlugParams = z.object({
  slug: z
    .string()
    .regex(TENANT_SLUG_PATTERN, "lowercase letters, digits and dashes, 2 to 63 characters")
    .openapi({ param: { name: "slug", in: "path" }, example: "acme" }),
});

export const TenantProfileSchema = z
  .object({ id: z.uuid(), slug: z.string(), name: z.string() })
  .openapi("TenantProfile");
export type TenantProfile = z.infer<typeof TenantProfileSchema>;
