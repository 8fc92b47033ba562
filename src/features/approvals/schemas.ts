import { z } from "@hono/zod-openapi";

export const DecisionBody = z
  .object({ comment: z.string().max(500).optional().openapi({ description: "Shown to the employee with your decision" }) })
  .openapi("Decision");
