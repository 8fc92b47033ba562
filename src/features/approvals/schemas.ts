import { z } from "@hono/zod-openapi";

export const DecisionBody = z.object({ comment: z.string().max(500).optional() }).openapi("Decision");
