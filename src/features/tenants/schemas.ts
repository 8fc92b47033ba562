import { z } from "@hono/zod-openapi";
import { TENANT_SLUG_PATTERN } from "../../db/schema";

export const TenantSlugParams = z.object({
  slug: z
    .string()
    .regex(TENANT_SLUG_PATTERN, "lowercase letters, digits and dashes, 2 to 63 characters")
    .openapi({ param: { name: "slug", in: "path" }, example: "acme" }),
});

export const TenantProfileSchema = z.object({ id: z.uuid(), slug: z.string(), name: z.string() }).openapi("TenantProfile");
export type TenantProfile = z.infer<typeof TenantProfileSchema>;
