import { createRoute } from "@hono/zod-openapi";
import { AppError } from "../../kernel/errors";
import { COMMON_ERRORS, createRouter, errorResponses, jsonResponse } from "../../kernel/openapi";
import { TenantProfileSchema, TenantSlugParams } from "./schemas";
import { findTenantProfile } from "./service";

const getTenant = createRoute({
  method: "get",
  path: "/v1/tenants/{slug}",
  operationId: "getTenant",
  tags: ["Tenants"],
  summary: "Look up a tenant by slug",
  description:
    "Public tenant discovery for login screens: the id and display name of an active tenant, nothing else. " +
    "Suspended and unknown tenants both answer 404. No sign-in needed.",
  request: { params: TenantSlugParams },
  responses: {
    200: jsonResponse("The tenant", TenantProfileSchema, {
      id: "00000000-0000-4000-8100-000000000001",
      slug: "acme",
      name: "Acme Corporation",
    }),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...COMMON_ERRORS),
  },
});

export const tenantRoutes = createRouter().openapi(getTenant, async (c) => {
  const { slug } = c.req.valid("param");
  const tenant = await findTenantProfile(c.get("config"), slug);
  if (!tenant) throw new AppError("RESOURCE_NOT_FOUND", "No such tenant");
  return c.json(tenant, 200);
});
