import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { AppError, type ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { AssignBody, AssignmentResult, CreatePolicyBody, EndAssignmentBody, PolicyParams, PolicyRules, PolicySchema } from "./schemas";
import { changeAssignments, currentPolicies, policyVersions, policyView, writePolicyVersion } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

const createPolicy = createRoute({
  method: "post",
  path: "/v1/policies",
  tags: ["Policies"],
  summary: "Create a leave policy, version 1 (HR Admin, System Admin). Audited.",
  ...signedIn("policy:manage"),
  request: { body: jsonBody(CreatePolicyBody) },
  responses: { 201: jsonResponse("Created", PolicySchema), ...errorResponses("CONFLICT", ...ERRORS) },
});

const revisePolicy = createRoute({
  method: "post",
  path: "/v1/policies/{key}/versions",
  tags: ["Policies"],
  summary: "Change a policy: a new version; history is never rewritten. Audited.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(PolicyRules) },
  responses: { 201: jsonResponse("The new version", PolicySchema), ...errorResponses("CONFLICT", ...ERRORS) },
});

const listPolicies = createRoute({
  method: "get",
  path: "/v1/policies",
  tags: ["Policies"],
  summary: "The current version of every policy of the tenant",
  ...signedIn("self:read"),
  responses: { 200: jsonResponse("Policies", z.object({ data: z.array(PolicySchema) })), ...errorResponses(...ERRORS) },
});

const getPolicy = createRoute({
  method: "get",
  path: "/v1/policies/{key}",
  tags: ["Policies"],
  summary: "Every version of one policy, newest first",
  ...signedIn("self:read"),
  request: { params: PolicyParams },
  responses: { 200: jsonResponse("Versions", z.object({ data: z.array(PolicySchema) })), ...errorResponses(...ERRORS) },
});

const assign = createRoute({
  method: "post",
  path: "/v1/policies/{key}/assignments",
  tags: ["Policies"],
  summary: "Assign a policy to employees, in bulk (HR Admin, System Admin). Already assigned ones are left as they are. Audited.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(AssignBody) },
  responses: { 200: jsonResponse("Newly assigned employees", AssignmentResult), ...errorResponses(...ERRORS) },
});

const unassign = createRoute({
  method: "post",
  path: "/v1/policies/{key}/assignments/end",
  tags: ["Policies"],
  summary: "End employees' assignments to a policy on a date, in bulk. Audited.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(EndAssignmentBody) },
  responses: { 200: jsonResponse("Employees whose assignment ended", AssignmentResult), ...errorResponses(...ERRORS) },
});

export const policyRoutes = createRouter()
  .openapi(createPolicy, async (c) => {
    const { key, ...rules } = c.req.valid("json");
    return c.json(policyView(await writePolicyVersion(c.get("config"), requestFacts(c), c.get("principal"), key, rules, "create")), 201);
  })
  .openapi(revisePolicy, async (c) => {
    const { key } = c.req.valid("param");
    return c.json(
      policyView(await writePolicyVersion(c.get("config"), requestFacts(c), c.get("principal"), key, c.req.valid("json"), "revise")),
      201,
    );
  })
  .openapi(listPolicies, async (c) => c.json({ data: (await currentPolicies(c.get("config"), c.get("principal"))).map(policyView) }, 200))
  .openapi(getPolicy, async (c) => {
    const { key } = c.req.valid("param");
    const versions = await policyVersions(c.get("config"), c.get("principal"), key);
    if (versions.length === 0) throw new AppError("RESOURCE_NOT_FOUND", "No such policy", { key });
    return c.json({ data: versions.map(policyView) }, 200);
  })
  .openapi(assign, async (c) => {
    const { key } = c.req.valid("param");
    const { employee_ids, starts_on } = c.req.valid("json");
    const changed = await changeAssignments(c.get("config"), requestFacts(c), c.get("principal"), key, employee_ids, {
      startsOn: starts_on,
    });
    return c.json({ policy_key: key, changed: changed.length, employee_ids: changed }, 200);
  })
  .openapi(unassign, async (c) => {
    const { key } = c.req.valid("param");
    const { employee_ids, ends_on } = c.req.valid("json");
    const changed = await changeAssignments(c.get("config"), requestFacts(c), c.get("principal"), key, employee_ids, { endsOn: ends_on });
    return c.json({ policy_key: key, changed: changed.length, employee_ids: changed }, 200);
  });
