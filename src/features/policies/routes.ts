import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { AppError, type ErrorCode } from "../../kernel/errors";
import { createRouter, errorResponses, jsonBody, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { AssignBody, AssignmentResult, CreatePolicyBody, EndAssignmentBody, PolicyParams, PolicyRules, PolicySchema } from "./schemas";
import { changeAssignments, currentPolicies, policyVersions, policyView, writePolicyVersion } from "./service";

const ERRORS: ErrorCode[] = ["VALIDATION_FAILED", "RESOURCE_NOT_FOUND", ...SIGNED_IN_ERRORS];

type Policy = z.output<typeof PolicySchema>;
/** The demo tenant's (`acme`) standard policy as seeded, its revision for 2027, and a new sick-leave policy. */
const PTO_RULES_2027: z.input<typeof PolicyRules> = {
  name: "Paid time off",
  unit: "day",
  accrual: { period: "monthly", amount: 2.5, year: "calendar" },
  max_balance: 40,
  carryover: { cap: 5, expiry_months: 3 },
  negative_allowance: 2,
  approvals_required: 1,
  approval_ttl_hours: 168,
  effective_from: "2027-01-01",
};
const PTO_V1: Policy = {
  id: "5d0c7a4e-2b8f-4c61-9e3a-7f1b2c4d6e80",
  key: "pto-standard",
  version: 1,
  name: "Paid time off",
  category: "vacation",
  unit: "day",
  tracking: "tracked",
  accrual: { period: "monthly", amount: 2.0833, year: "calendar" },
  max_balance: 40,
  carryover: { cap: 5, expiry_months: 3 },
  negative_allowance: 2,
  waiting_period_days: 0,
  approvals_required: 1,
  approval_ttl_hours: 168,
  managers_may_record: false,
  effective_from: "2026-01-01",
  created_at: "2026-01-05T10:30:00.000Z",
};
const PTO_V2: Policy = {
  ...PTO_V1,
  id: "8a3f1e62-4c7d-4b95-a2e8-0d6c9b1f3a57",
  version: 2,
  accrual: { period: "monthly", amount: 2.5, year: "calendar" },
  effective_from: "2027-01-01",
  created_at: "2026-12-10T11:02:45.219Z",
};
const SICK_LEAVE: z.input<typeof CreatePolicyBody> = {
  key: "sick-leave",
  name: "Sick leave",
  category: "sick",
  unit: "day",
  tracking: "untracked",
  approvals_required: 0,
  managers_may_record: true,
  effective_from: "2027-01-01",
};
/** Employees of the demo tenant: Emma and Eli have the standard policy; Ada Auditor has none yet. */
const EMMA = "00000000-0000-4000-8100-000000000204";
const ELI = "00000000-0000-4000-8100-000000000205";
const ADA = "00000000-0000-4000-8100-000000000206";

const createPolicy = createRoute({
  method: "post",
  path: "/v1/policies",
  tags: ["Policies"],
  operationId: "createPolicy",
  summary: "Create a policy",
  description:
    "Creates a leave policy, at version 1, with its key and rules; HR Admins and System Admins only. A key in use is a `CONFLICT` " +
    "(revise that policy instead). Employees accrue and request leave under it once assigned to it. Audited as `policy.create`.",
  ...signedIn("policy:manage"),
  request: { body: jsonBody(CreatePolicyBody, SICK_LEAVE) },
  responses: {
    201: jsonResponse("Created", PolicySchema, {
      id: "c27e9b14-6f3a-4d8e-b501-3a9d7e2c4f18",
      key: "sick-leave",
      version: 1,
      name: "Sick leave",
      category: "sick",
      unit: "day",
      tracking: "untracked",
      accrual: { period: "none", amount: 0, year: "calendar" },
      max_balance: null,
      carryover: { cap: null, expiry_months: null },
      negative_allowance: 0,
      waiting_period_days: 0,
      approvals_required: 0,
      approval_ttl_hours: 168,
      managers_may_record: true,
      effective_from: "2027-01-01",
      created_at: "2026-12-10T11:05:17.830Z",
    }),
    ...errorResponses("CONFLICT", ...ERRORS),
  },
});

const revisePolicy = createRoute({
  method: "post",
  path: "/v1/policies/{key}/versions",
  tags: ["Policies"],
  operationId: "revisePolicy",
  summary: "Revise a policy",
  description:
    "Changes a policy by adding its next version, whose rules apply from `effective_from`; earlier versions are never rewritten, " +
    "so existing requests and entries keep the rules they were made under. HR Admins and System Admins only; audited as `policy.revise`.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(PolicyRules, PTO_RULES_2027) },
  responses: { 201: jsonResponse("The new version", PolicySchema, PTO_V2), ...errorResponses("CONFLICT", ...ERRORS) },
});

const listPolicies = createRoute({
  method: "get",
  path: "/v1/policies",
  tags: ["Policies"],
  operationId: "listPolicies",
  summary: "List policies",
  description: "The current (newest) version of every policy of the tenant, by key. For any signed-in user.",
  ...signedIn("self:read"),
  responses: { 200: jsonResponse("Policies", z.object({ data: z.array(PolicySchema) }), { data: [PTO_V1] }), ...errorResponses(...ERRORS) },
});

const getPolicy = createRoute({
  method: "get",
  path: "/v1/policies/{key}",
  tags: ["Policies"],
  operationId: "getPolicyVersions",
  summary: "List a policy's versions",
  description: "Every version of one policy, newest first. For any signed-in user.",
  ...signedIn("self:read"),
  request: { params: PolicyParams },
  responses: {
    200: jsonResponse("Versions", z.object({ data: z.array(PolicySchema) }), { data: [PTO_V2, PTO_V1] }),
    ...errorResponses(...ERRORS),
  },
});

const assign = createRoute({
  method: "post",
  path: "/v1/policies/{key}/assignments",
  tags: ["Policies"],
  operationId: "assignPolicy",
  summary: "Assign a policy to employees",
  description:
    "Assigns the policy to up to 1 000 employees from `starts_on` and opens their ledger accounts; HR Admins and System Admins only. " +
    "What is already due under the assignment (a yearly allowance, prorated; missed months of a backdated one) is posted at once, " +
    "as one accrual run audited as `accrual.run`; later periods are posted by the daily run. " +
    "Employees already assigned (with an open assignment) and ids of no employee of the tenant are left as they are: the answer " +
    "names the employees assigned by this call. Audited as `policy.assign`, once per employee assigned.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(AssignBody, { employee_ids: [ADA, EMMA], starts_on: "2027-01-01" }) },
  responses: {
    200: jsonResponse("Newly assigned employees", AssignmentResult, { policy_key: "pto-standard", changed: 1, employee_ids: [ADA] }),
    ...errorResponses(...ERRORS),
  },
});

const unassign = createRoute({
  method: "post",
  path: "/v1/policies/{key}/assignments/end",
  tags: ["Policies"],
  operationId: "endPolicyAssignments",
  summary: "End policy assignments",
  description:
    "Ends employees' open assignments to the policy on `ends_on`, the last day they may take leave or accrue under it; " +
    "HR Admins and System Admins only. Employees without an open assignment that started by then are left as they are. " +
    "Audited as `policy.unassign`, once per employee changed.",
  ...signedIn("policy:manage"),
  request: { params: PolicyParams, body: jsonBody(EndAssignmentBody, { employee_ids: [ELI], ends_on: "2027-06-30" }) },
  responses: {
    200: jsonResponse("Employees whose assignment ended", AssignmentResult, {
      policy_key: "pto-standard",
      changed: 1,
      employee_ids: [ELI],
    }),
    ...errorResponses(...ERRORS),
  },
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
