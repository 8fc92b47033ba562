import { createRoute, z } from "@hono/zod-openapi";
import { authenticate } from "../../auth/authenticate";
import { requirePermission } from "../../auth/permissions";
import { ROLES } from "../../db/schema";
import { COMMON_ERRORS, createRouter, errorResponses } from "../../edge/openapi";
import { requestFacts } from "../auth/service";
import { changeRole, deactivate } from "./service";

const UserParams = z.object({ user_id: z.uuid().openapi({ param: { name: "user_id", in: "path" } }) });
const RoleParams = UserParams.extend({ role: z.enum(ROLES).openapi({ param: { name: "role", in: "path" } }) });
const RoleBody = z.object({ role: z.enum(ROLES) }).openapi("RoleAssignment");
const RoleChange = z.object({ user_id: z.uuid(), role: z.enum(ROLES), changed: z.boolean() }).openapi("RoleChange");
const ERRORS = errorResponses("VALIDATION_FAILED", "UNAUTHORIZED", "FORBIDDEN", "RESOURCE_NOT_FOUND", "RATE_LIMIT_EXCEEDED", ...COMMON_ERRORS);

const assignRole = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/roles",
  tags: ["Users"],
  summary: "Grant a role (HR Admin, System Admin; only a System Admin grants System Admin)",
  description: "Takes effect on the user's very next request. Audited.",
  security: [{ bearer: [] }],
  middleware: [authenticate(), requirePermission("role:assign")] as const,
  request: { params: UserParams, body: { required: true, content: { "application/json": { schema: RoleBody } } } },
  responses: { 200: { description: "The role is held", content: { "application/json": { schema: RoleChange } } }, ...ERRORS },
});

const removeRole = createRoute({
  method: "delete",
  path: "/v1/users/{user_id}/roles/{role}",
  tags: ["Users"],
  summary: "Remove a role",
  description: "Takes effect on the user's very next request. Audited.",
  security: [{ bearer: [] }],
  middleware: [authenticate(), requirePermission("role:assign")] as const,
  request: { params: RoleParams },
  responses: { 200: { description: "The role is not held", content: { "application/json": { schema: RoleChange } } }, ...ERRORS },
});

const deactivateUser = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/deactivate",
  tags: ["Users"],
  summary: "Deactivate a user: every session ends at once",
  security: [{ bearer: [] }],
  middleware: [authenticate(), requirePermission("user:manage")] as const,
  request: { params: UserParams },
  responses: { 204: { description: "Deactivated" }, ...errorResponses("CONFLICT"), ...ERRORS },
});

export const userRoutes = createRouter()
  .openapi(assignRole, async (c) => {
    const { user_id } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const { changed } = await changeRole(c.get("config"), c.env, requestFacts(c), c.get("principal"), user_id, role, "assign");
    return c.json({ user_id, role, changed }, 200);
  })
  .openapi(removeRole, async (c) => {
    const { user_id, role } = c.req.valid("param");
    const { changed } = await changeRole(c.get("config"), c.env, requestFacts(c), c.get("principal"), user_id, role, "remove");
    return c.json({ user_id, role, changed }, 200);
  })
  .openapi(deactivateUser, async (c) => {
    await deactivate(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").user_id);
    return c.body(null, 204);
  });
