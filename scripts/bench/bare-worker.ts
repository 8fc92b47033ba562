import { Hono } from "hono";

/** The yardstick: a bare Hono route with no middleware, run in the same workerd as the API. */
const app = new Hono();
app.get("/bare", (c) => c.json({ status: "ok" }));

export default app;
