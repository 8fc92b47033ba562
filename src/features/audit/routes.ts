import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { createRouter, errorResponses, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { AuditPage, AuditQuery, Verification, VerificationQuery } from "./schemas";
import { listAuditEntries, verifyAuditChain } from "./service";

const listAudit = createRoute({
  method: "get",
  path: "/v1/audit",
  tags: ["Audit"],
  summary: "The tenant's audit log, newest first (HR Admin, System Admin, Auditor)",
  ...signedIn("audit:read"),
  request: { query: AuditQuery },
  responses: {
    200: jsonResponse("A page of entries", AuditPage),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

const verifyChain = createRoute({
  method: "get",
  path: "/v1/audit/verification",
  tags: ["Audit"],
  summary:
    "Verify the tenant's audit hash chain, up to 100 000 rows per call; names the first row that does not follow from its predecessor (HR Admin, System Admin, Auditor)",
  ...signedIn("audit:read"),
  request: { query: VerificationQuery },
  responses: { 200: jsonResponse("The verdict", Verification), ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS) },
});

export const auditRoutes = createRouter()
  .openapi(verifyChain, async (c) => {
    const { after_seq, limit } = c.req.valid("query");
    return c.json(await verifyAuditChain(c.get("config"), c.get("principal"), after_seq, limit), 200);
  })
  .openapi(listAudit, async (c) => c.json(await listAuditEntries(c.get("config"), c.get("principal"), c.req.valid("query")), 200));
