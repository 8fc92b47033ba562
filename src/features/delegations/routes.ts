import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { Delegation, DelegationList, DelegationParams, DelegationQuery, NewDelegation } from "./schemas";
import { createDelegation, listDelegations, revokeDelegation } from "./service";

/** The demo's delegation (scripts/lib/seed-data.ts): Mike hands his approvals to Eli while he is away. */
const EXAMPLE = {
  id: "8d2f4a61-7c3e-4b19-a0d5-6e9f1b2c3d47",
  delegator_id: "00000000-0000-4000-8100-000000000203",
  delegator_name: "Mike Manager",
  delegate_id: "00000000-0000-4000-8100-000000000205",
  delegate_name: "Eli Employee",
  starts_at: "2026-12-21T00:00:00+00:00",
  ends_at: "2027-01-04T00:00:00+00:00",
  status: "scheduled" as const,
  created_by: "00000000-0000-4000-8100-000000000103",
  created_at: "2026-12-01T09:12:44.120+00:00",
  revoked_at: null,
};

const create = createRoute({
  method: "post",
  path: "/v1/delegations",
  tags: ["Approvals"],
  operationId: "createDelegation",
  summary: "Delegate approvals",
  description:
    "Hands your approvals to a colleague for a time window (a holiday, a leave): while it runs they see, decide and comment on your " +
    "direct reports' requests as you would, and their decisions say so (`on_behalf_of` on the approval, `delegation_id` in the " +
    "audit). It ends by itself at `ends_at`; nobody ever decides their own request. Approvers only; HR Admins and System Admins " +
    "may delegate any manager's approvals (`delegator_id`). The delegate is another active employee; the same two people never " +
    "have two windows that overlap (`CONFLICT`), and one person holds at most 20 at once. Takes effect on the delegate's next " +
    "request. Audited as `delegation.create`.",
  ...signedIn("request:approve:reports"),
  request: { body: jsonBody(NewDelegation, { delegate_id: EXAMPLE.delegate_id, starts_at: EXAMPLE.starts_at, ends_at: EXAMPLE.ends_at }) },
  responses: {
    201: jsonResponse("Created", Delegation, EXAMPLE),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", "CONFLICT", ...SIGNED_IN_ERRORS),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/delegations",
  tags: ["Approvals"],
  operationId: "listDelegations",
  summary: "List delegations",
  description:
    "The approval delegations you gave or hold (HR Admins, System Admins and Auditors: the tenant's), latest start first, with their " +
    "status now. For any signed-in user.",
  ...signedIn("self:read"),
  request: { query: DelegationQuery },
  responses: {
    200: jsonResponse("Delegations", DelegationList, { data: [EXAMPLE], total: 1, offset: 0, limit: 20 }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/delegations/{id}",
  tags: ["Approvals"],
  operationId: "revokeDelegation",
  summary: "End a delegation",
  description:
    "Ends a delegation now: its delegator, its delegate (declining it), HR Admins and System Admins. One already ended or revoked " +
    "is answered as it is. Takes effect on the delegate's next request. Audited as `delegation.revoke`.",
  ...signedIn("self:read"),
  request: { params: DelegationParams },
  responses: {
    200: jsonResponse("Ended", Delegation, { ...EXAMPLE, status: "revoked", revoked_at: "2026-12-22T08:03:10.442+00:00" }),
    ...errorResponses("VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS),
  },
});

export const delegationRoutes = createRouter()
  .openapi(create, async (c) =>
    c.json(await createDelegation(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("json")), 201),
  )
  .openapi(list, async (c) =>
    c.json(await listDelegations(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200),
  )
  .openapi(revoke, async (c) =>
    c.json(await revokeDelegation(c.get("config"), c.env, requestFacts(c), c.get("principal"), c.req.valid("param").id), 200),
  );
