import { describe, expect, it } from "vitest";
import {
  hashPassword,
  hashPin,
  PBKDF2_ITERATIONS,
  PBKDF2_MAX_ITERATIONS_ON_CLOUDFLARE,
  randomToken,
  sha256Hex,
  verifyPassword,
  verifyPin,
} from "../../src/auth/secrets";

describe("password hashes", () => {
  it("stay within Cloudflare's PBKDF2 limit of 100 000 iterations (local workerd would accept more)", async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS_ON_CLOUDFLARE);
    expect(PBKDF2_MAX_ITERATIONS_ON_CLOUDFLARE).toBe(100_000);
    const encoded = await hashPassword("correct horse");
    expect(Number(encoded.split("$")[1])).toBeLessThanOrEqual(100_000);
  });

  it("verify the right password only, with a fresh salt each time", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horse", b)).toBe(true);
    expect(await verifyPassword("correct hors", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("refuse missing, malformed or over-limit hashes instead of throwing", async () => {
    const good = await hashPassword("pw");
    const [scheme, , salt, hash] = good.split("$");
    for (const bad of [null, "", "garbage", `${scheme}$600000$${salt}$${hash}`, `md5$1$${salt}$${hash}`, `${scheme}$100000$***$${hash}`]) {
      expect(await verifyPassword("pw", bad), String(bad)).toBe(false);
    }
  });

  it("cost the same for an unknown user (dummy hash) as for a real one", async () => {
    const real = await hashPassword("pw");
    const time = async (encoded: string | null) => {
      const started = performance.now();
      for (let i = 0; i < 6; i++) await verifyPassword("wrong", encoded);
      return performance.now() - started;
    };
    const [known, unknown] = [await time(real), await time(null)];
    expect(unknown / known).toBeGreaterThan(0.5);
    expect(unknown / known).toBeLessThan(2);
  });
});

describe("PIN hashes", () => {
  const pepper = "pepper-0123456789abcdef0123456789abcdef";

  it("need the pepper: the same PIN with another pepper does not verify", async () => {
    const encoded = await hashPin("2468", pepper);
    expect(await verifyPin("2468", pepper, encoded)).toBe(true);
    expect(await verifyPin("2469", pepper, encoded)).toBe(false);
    expect(await verifyPin("2468", "another-pepper-0123456789abcdef012345", encoded)).toBe(false);
    expect(await verifyPassword("2468", encoded)).toBe(false);
  });
});

describe("bearer secrets", () => {
  it("are random, prefixed and hashed with SHA-256", async () => {
    const a = randomToken("llr_");
    expect(a).toMatch(/^llr_[A-Za-z0-9_-]{43}$/);
    expect(randomToken("llr_")).not.toBe(a);
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
