import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/durable/rate-limiter";
import { resetEdgeState, testEnv } from "../support/worker/harness";

describe("test state can be reset between cases", () => {
  it("resetEdgeState wipes KV entries and Durable Object storage", async () => {
    const stub = testEnv.RATE_LIMITER.get(testEnv.RATE_LIMITER.idFromName("reset-probe"));
    await testEnv.PERMISSIONS_KV.put("reset-probe", "value");
    await runInDurableObject(stub, async (_: RateLimiter, state) => {
      await state.storage.put("count", 7);
    });
    expect(await testEnv.PERMISSIONS_KV.get("reset-probe")).toBe("value");
    expect(await runInDurableObject(stub, (_: RateLimiter, state) => state.storage.get("count"))).toBe(7);

    await resetEdgeState();

    expect(await testEnv.PERMISSIONS_KV.get("reset-probe")).toBeNull();
    const fresh = testEnv.RATE_LIMITER.get(testEnv.RATE_LIMITER.idFromName("reset-probe"));
    expect(await runInDurableObject(fresh, (_: RateLimiter, state) => state.storage.get("count"))).toBeUndefined();
    expect(await fresh.ping()).toEqual({ ok: true, storage: "sqlite" });
  });
});
