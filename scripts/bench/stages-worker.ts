/**
 * The bench's decomposition of the authenticated path: the production app, with routes that stop after each stage
 * of `authenticate` (src/auth/authenticate.ts). `/stage/pipeline`: the edge pipeline alone (request id, access log,
 * headers, configuration, …); `/stage/verified`: + the access token verified; `/stage/counted`: + the Durable Object
 * call (rate limit and versions). The full path, + the permission cache, is `GET /v1/me/permissions`.
 */
import { createApp } from "../../src/app";
import { bearerToken, verifyBearer } from "../../src/auth/authenticate";
import { countRequest, userLimits } from "../../src/auth/limiter";

export { RateLimiter } from "../../src/durable/rate-limiter";

const app = createApp();
app.get("/stage/pipeline", (c) => c.json({ ok: true }));
app.get("/stage/verified", async (c) => {
  const identity = await verifyBearer(c, bearerToken(c), c.get("now"));
  return c.json({ ok: identity.userId !== "" });
});
app.get("/stage/counted", async (c) => {
  const identity = await verifyBearer(c, bearerToken(c), c.get("now"));
  const hit = await countRequest(c, `user:${identity.userId}`, userLimits(c.get("config")), c.get("now"));
  return c.json({ ok: hit !== null });
});

export default { fetch: app.fetch };
