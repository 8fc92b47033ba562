import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../auth/guard";
import { requestFacts } from "../../domain/audit";
import { createRouter, errorResponses, jsonResponse, SIGNED_IN_ERRORS } from "../../kernel/openapi";
import { AbsencePage, AbsenceQuery } from "./schemas";
import { absences } from "./service";

const whoIsOut = createRoute({
  method: "get",
  path: "/v1/absences",
  operationId: "listAbsences",
  tags: ["Requests"],
  summary: "Who is out",
  description:
    "The people with approved or pending leave between `from` and `to` (at most 31 days), by name, each with the days (or half days) " +
    "they are out, the request's status, policy and category, and no reasons: your direct reports (`scope=team`), or the whole tenant " +
    "(`scope=tenant`: HR Admin, System Admin, Auditor). Cursor-paginated, up to 500 people a page, one database round trip a page.",
  ...signedIn("team:read"),
  request: { query: AbsenceQuery },
  responses: {
    200: jsonResponse("A page of the people out", AbsencePage, {
      from: "2026-12-21",
      to: "2026-12-27",
      data: [
        {
          employee_id: "00000000-0000-4000-8100-000000000204",
          employee_name: "Emma Employee",
          days: ["2026-12-21", "2026-12-22", "2026-12-23"].map((day) => ({
            day,
            part: "day" as const,
            status: "pending" as const,
            policy_key: "pto-standard",
            category: "vacation" as const,
            request_id: "b6e41d2a-9c37-4f58-8e0b-5a2f7c1d9e64",
          })),
        },
      ],
      pagination: { next_cursor: null, has_more: false },
    }),
    ...errorResponses("VALIDATION_FAILED", ...SIGNED_IN_ERRORS),
  },
});

export const absenceRoutes = createRouter().openapi(whoIsOut, async (c) =>
  c.json(await absences(c.get("config"), requestFacts(c), c.get("principal"), c.req.valid("query")), 200),
);
