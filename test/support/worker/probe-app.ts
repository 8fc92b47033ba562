import { createRoute, z } from "@hono/zod-openapi";
import { createApp } from "../../../src/app";
import { authenticate } from "../../../src/auth/authenticate";
import { TestClock } from "./auth";

export const ProbeBody = z.object({
  name: z.string().min(1),
  days: z.number().int().positive(),
});

/**
 * The real app with two routes only tests have: one that validates a JSON body (the pipeline's body rules
 * need a route that reads one) and one that throws. Everything else is the production pipeline.
 */
export function createProbeApp(clock = new TestClock()) {
  const app = createApp({ clock: clock.now });
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/probe",
      request: { body: { required: true, content: { "application/json": { schema: ProbeBody } } } },
      responses: { 200: { description: "echo", content: { "application/json": { schema: z.object({ received: ProbeBody }) } } } },
    }),
    (c) => c.json({ received: c.req.valid("json") }, 200),
  );
  app.get("/v1/boom", () => {
    throw new Error("secret internals: password=hunter2 at db.internal:5432");
  });
  app.get("/v1/boom-signed-in", authenticate(), () => {
    throw new Error("failure after authentication");
  });
  return app;
}
