import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { ChangePasswordBody, MeSchema, PermissionsSchema } from "./schemas";
import { changePassword, describeMe, myPermissions } from "./service";

const me = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["Identity"],
  summary: "The caller: user, tenant, roles and employee record",
  ...signedIn(),
  responses: {
    200: jsonResponse("The caller", MeSchema),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const myPermissionsRoute = createRoute({
  method: "get",
  path: "/v1/me/permissions",
  tags: ["Identity"],
  summary: "What the caller's roles allow (from the permission cache, no database read)",
  ...signedIn(),
  responses: {
    200: jsonResponse("Roles and permissions", PermissionsSchema),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const changePasswordRoute = createRoute({
  method: "post",
  path: "/v1/me/password",
  tags: ["Identity"],
  summary: "Change your password; every session ends (log in again). Audited.",
  ...signedIn(),
  request: { body: jsonBody(ChangePasswordBody) },
  responses: { 204: { description: "Changed" }, ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

export const meRoutes = createRouter()
  .openapi(changePasswordRoute, async (c) => {
    const { current_password, new_password } = c.req.valid("json");
    await changePassword(c.get("config"), c.env, requestFacts(c), c.get("principal"), current_password, new_password);
    return c.body(null, 204);
  })
  .openapi(myPermissionsRoute, (c) => c.json(myPermissions(c.get("principal")), 200))
  .openapi(me, async (c) => c.json(await describeMe(c.get("config"), c.get("principal")), 200));
