import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { ChangePasswordBody, MeSchema, PermissionsSchema } from "./schemas";
import { changePassword, describeMe, myPermissions } from "./service";

const me = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["Identity"],
  summary: "Get the caller's user, tenant, roles and employee record",
  description:
    "Who the access token belongs to: the user, their tenant, their roles and, for employees, the employee record (whose `id` the balance and request routes take). " +
    "Any signed-in user; an API key is not a user (403).",
  ...signedIn(),
  responses: {
    200: jsonResponse("The caller", MeSchema, {
      user: { id: "00000000-0000-4000-8100-000000000104", email: "emma.employee@acme.example", display_name: "Emma Employee" },
      tenant_id: "00000000-0000-4000-8100-000000000001",
      roles: ["employee"],
      employee: {
        id: "00000000-0000-4000-8100-000000000204",
        employee_number: "A-004",
        manager_id: "00000000-0000-4000-8100-000000000203",
        time_zone: "Europe/Berlin",
        hire_date: "2022-09-01",
      },
    }),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const myPermissionsRoute = createRoute({
  method: "get",
  path: "/v1/me/permissions",
  operationId: "getMyPermissions",
  tags: ["Identity"],
  summary: "List what the caller's roles allow",
  description:
    "The caller's roles and every permission they grant, for showing or hiding parts of a user interface. " +
    "Served from the permission cache without reading the database. Any signed-in user or API key.",
  ...signedIn(),
  responses: {
    200: jsonResponse("Roles and permissions", PermissionsSchema, { roles: ["employee"], permissions: ["self:read", "request:submit"] }),
    ...errorResponses(...SIGNED_IN_ERRORS),
  },
});

const changePasswordRoute = createRoute({
  method: "post",
  path: "/v1/me/password",
  operationId: "changeMyPassword",
  tags: ["Identity"],
  summary: "Change your password",
  description:
    "Sets a new password after checking the current one (401 when it is wrong). " +
    "Every session of the caller ends, this one included: sign in again with the new password. Users only, not API keys " +
    "or kiosk (PIN) sessions. Audited.",
  ...signedIn("self:manage"),
  request: {
    body: jsonBody(ChangePasswordBody, { current_password: "leave-ledger-demo", new_password: "maple-harbour-lantern-42" }),
  },
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
