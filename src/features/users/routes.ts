import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { hashPassword, hashPin } from "../../auth/secrets";
import { requestFacts } from "../../domain/audit";
import { setCredentials } from "../../domain/credentials";
import type { AppContext } from "../../kernel/context";
import type { ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import {
  CreatedUser,
  CreateUserBody,
  ExternalIdentityBody,
  ExternalIdentityLink,
  PasswordBody,
  PinBody,
  RoleBody,
  RoleChange,
  RoleParams,
  UserParams,
} from "./schemas";
import { changeRole, createUser, deactivate, setExternalSubject } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

/** Demo data: Emma Employee of `acme`, and Mike Manager, her manager. */
const EMMA = { userId: "00000000-0000-4000-8100-000000000104", employeeId: "00000000-0000-4000-8100-000000000204" };
const MIKE_EMPLOYEE_ID = "00000000-0000-4000-8100-000000000203";

const assignRole = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/roles",
  operationId: "grantRole",
  tags: ["Users"],
  summary: "Grant a role to a user",
  description:
    "Adds a role to a user of the caller's tenant; it takes effect on the user's very next request. " +
    "HR Admin or System Admin; only a System Admin grants `system_admin`. " +
    "Idempotent: granting a role the user holds answers `changed: false`. Audited.",
  ...signedIn("role:assign"),
  request: { params: UserParams, body: jsonBody(RoleBody, { role: "manager" }) },
  responses: {
    200: jsonResponse("The role is held", RoleChange, { user_id: EMMA.userId, role: "manager", changed: true }),
    ...errorResponses(...ERRORS),
  },
});

const removeRole = createRoute({
  method: "delete",
  path: "/v1/users/{user_id}/roles/{role}",
  operationId: "revokeRole",
  tags: ["Users"],
  summary: "Revoke a role from a user",
  description:
    "Removes a role from a user of the caller's tenant; it takes effect on the user's very next request. " +
    "HR Admin or System Admin; only a System Admin removes `system_admin`. " +
    "Idempotent: removing a role the user does not hold answers `changed: false`. Audited.",
  ...signedIn("role:assign"),
  request: { params: RoleParams },
  responses: {
    200: jsonResponse("The role is not held", RoleChange, { user_id: EMMA.userId, role: "manager", changed: true }),
    ...errorResponses(...ERRORS),
  },
});

const deactivateUser = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/deactivate",
  operationId: "deactivateUser",
  tags: ["Users"],
  summary: "Deactivate a user",
  description:
    "Stops a user of the caller's tenant from signing in: every session ends at once (refresh tokens are revoked, access tokens are refused from their next request). " +
    "HR Admin or System Admin; you cannot deactivate yourself (409). Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams },
  responses: { 204: { description: "Deactivated" }, ...errorResponses("CONFLICT", ...ERRORS) },
});

const createUserRoute = createRoute({
  method: "post",
  path: "/v1/users",
  operationId: "createUser",
  tags: ["Users"],
  summary: "Create a user with their employee record and roles",
  description:
    "Creates a user of the caller's tenant, their employee record and their roles in one transaction. " +
    "The user has no password or PIN yet: set them with `POST /v1/users/{user_id}/password` and `/pin`. " +
    "HR Admin or System Admin; only a System Admin grants `system_admin`. An email or employee number already used in the tenant answers 409. Audited.",
  ...signedIn("user:manage"),
  request: {
    body: jsonBody(CreateUserBody, {
      email: "noah.newhire@acme.example",
      display_name: "Noah Newhire",
      employee: { employee_number: "A-007", manager_id: MIKE_EMPLOYEE_ID, time_zone: "Europe/London", hire_date: "2026-12-01" },
      roles: ["employee"],
    }),
  },
  responses: {
    201: jsonResponse("Created", CreatedUser, {
      user_id: "5b0e7c1a-93d2-4f6b-8e41-7c2a9d0f3b58",
      employee_id: "c4d81f27-6a3e-4b95-a0d7-1e9f52b8c634",
    }),
    ...errorResponses("CONFLICT", ...ERRORS),
  },
});

const resetPasswordRoute = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/password",
  operationId: "setUserPassword",
  tags: ["Users"],
  summary: "Set a user's password",
  description:
    "Sets (or resets) the password of a user of the caller's tenant, without the old one. " +
    "Every session of the user ends: they sign in again with the new password. HR Admin or System Admin; not API keys. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams, body: jsonBody(PasswordBody, { password: "winter-orchard-compass-17" }) },
  responses: { 204: { description: "Set" }, ...errorResponses(...ERRORS) },
});

const resetPinRoute = createRoute({
  method: "post",
  path: "/v1/users/{user_id}/pin",
  operationId: "setUserPin",
  tags: ["Users"],
  summary: "Set a user's kiosk PIN",
  description:
    "Sets (or resets) the PIN a user of the caller's tenant signs in with at a kiosk (`POST /v1/auth/pin`). " +
    "Every session of the user ends. HR Admin or System Admin; not API keys. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams, body: jsonBody(PinBody, { pin: "864209" }) },
  responses: { 204: { description: "Set" }, ...errorResponses(...ERRORS) },
});

const linkIdentityRoute = createRoute({
  method: "put",
  path: "/v1/users/{user_id}/external-identity",
  operationId: "linkExternalIdentity",
  tags: ["Users"],
  summary: "Link a user to their single sign-on identity",
  description:
    "Sets the subject (`sub`) of the person's tokens from the tenant's external OIDC issuer: from then on those tokens sign them in. " +
    "Replaces any earlier link, and every session of the user ends (another way into the account). A subject linked to another user " +
    "of the tenant answers 409. HR Admin or System Admin, for people whose roles they may grant; not API keys. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams, body: jsonBody(ExternalIdentityBody, { subject: "00u1a2b3c4d5e6f7g8h9" }) },
  responses: {
    200: jsonResponse("Linked", ExternalIdentityLink, { user_id: EMMA.userId, subject: "00u1a2b3c4d5e6f7g8h9" }),
    ...errorResponses("CONFLICT", ...ERRORS),
  },
});

const unlinkIdentityRoute = createRoute({
  method: "delete",
  path: "/v1/users/{user_id}/external-identity",
  operationId: "unlinkExternalIdentity",
  tags: ["Users"],
  summary: "Unlink a user from their single sign-on identity",
  description:
    "The issuer's tokens no longer sign this user in, and every session of the user ends. Repeating it is harmless. " +
    "HR Admin or System Admin, for people whose roles they may grant; not API keys. Audited.",
  ...signedIn("user:manage"),
  request: { params: UserParams },
  responses: { 204: { description: "Unlinked" }, ...errorResponses(...ERRORS) },
});

/** An admin's reset of a user's password or PIN: every session of the user ends. */
const resetCredentials = (c: AppContext, userId: string, hashes: { passwordHash?: string; pinHash?: string }, action: string) =>
  setCredentials(c.get("config"), c.env, requestFacts(c), c.get("principal"), userId, hashes, action);

export const userRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const input = c.req.valid("json");
    const created = await createUser(c.get("config"), requestFacts(c), c.get("principal"), {
      email: input.email,
      displayName: input.display_name,
      employeeNumber: input.employee.employee_number,
      managerId: input.employee.manager_id,
      timeZone: input.employee.time_zone,
      hireDate: input.employee.hire_date,
      roles: input.roles,
    });
    return c.json({ user_id: created.userId, employee_id: created.employeeId }, 201);
  })
  .openapi(resetPasswordRoute, async (c) => {
    const hashes = { passwordHash: await hashPassword(c.req.valid("json").password) };
    await resetCredentials(c, c.req.valid("param").user_id, hashes, "user.password_reset");
    return c.body(null, 204);
  })
  .openapi(resetPinRoute, async (c) => {
    const hashes = { pinHash: await hashPin(c.req.valid("json").pin, c.get("config").PIN_PEPPER) };
    await resetCredentials(c, c.req.valid("param").user_id, hashes, "user.pin_reset");
    return c.body(null, 204);
  })
  .openapi(linkIdentityRoute, async (c) => {
    const { user_id } = c.req.valid("param");
    const { subject } = c.req.valid("json");
    await setExternalSubject(c.get("config"), c.env, requestFacts(c), c.get("principal"), user_id, subject);
    return c.json({ user_id, subject }, 200);
  })
  .openapi(unlinkIdentityRoute, async (c) => {
    await setExternalSubject(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").user_id, null);
    return c.body(null, 204);
  })
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
