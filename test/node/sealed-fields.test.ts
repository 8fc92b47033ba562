import { describe, expect, it } from "vitest";
import { forgetDataKeys, newDataKey, openDataKey } from "../../src/crypto/data-keys";
import { requestHashes } from "../../src/crypto/request-hash";
import { type FieldPlace, openField, sealField } from "../../src/crypto/sealed-fields";
import { dataKekSchema, parseConfig } from "../../src/kernel/config";
import { AppError } from "../../src/kernel/errors";
import { TEST_DATA_KEK, TEST_PREVIOUS_DATA_KEK } from "../support/test-constants";

const kek = dataKekSchema.parse(JSON.stringify(TEST_DATA_KEK));
const previous = dataKekSchema.parse(JSON.stringify(TEST_PREVIOUS_DATA_KEK));
const PLACE: FieldPlace = {
  tenantId: "00000000-0000-4000-8100-000000000001",
  table: "leave_requests",
  column: "reason",
  row: "3f9c2a71-5b8e-4d06-a1c4-7e2b9d8f6a13",
};
const NOW = Date.parse("2026-12-02T10:00:00Z");

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("sealed fields (AES-256-GCM, bound to their place)", () => {
  it("open to their plaintext, in any script, and differ every time they are sealed", async () => {
    const { dataKey } = await newDataKey({ DATA_KEK: kek });
    for (const text of ["Chemotherapy", "", "Kur in Baden-Baden — 3 Wochen", "通院", "😷 flu", "a".repeat(500)]) {
      const sealed = await sealField(dataKey, PLACE, text);
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/);
      expect(sealed).not.toContain(text || "\u0000");
      expect(await openField(dataKey, PLACE, sealed)).toBe(text);
      expect(await sealField(dataKey, PLACE, text)).not.toBe(sealed);
    }
  });

  it("do not open in another place, with another key, or changed: DATA_INTEGRITY", async () => {
    const { dataKey } = await newDataKey({ DATA_KEK: kek });
    const { dataKey: other } = await newDataKey({ DATA_KEK: kek });
    const sealed = await sealField(dataKey, PLACE, "IVF appointment");
    const elsewhere: FieldPlace[] = [
      { ...PLACE, row: "3f9c2a71-5b8e-4d06-a1c4-7e2b9d8f6a14" },
      { ...PLACE, column: "comment" },
      { ...PLACE, table: "approvals" },
      { ...PLACE, tenantId: "00000000-0000-4000-8200-000000000001" },
    ];
    for (const place of elsewhere) expect(await codeOf(openField(dataKey, place, sealed))).toBe("DATA_INTEGRITY");
    expect(await codeOf(openField(other, PLACE, sealed))).toBe("DATA_INTEGRITY");
    // The same key material under another key row's id: a row re-pointed at a copy of its wrapped key.
    expect(await codeOf(openField({ ...dataKey, id: other.id }, PLACE, sealed))).toBe("DATA_INTEGRITY");
    const [version, iv, body] = sealed.split(".") as [string, string, string];
    const flipped = `${body.slice(0, 5)}${body[5] === "A" ? "B" : "A"}${body.slice(6)}`;
    for (const broken of [
      `${version}.${iv}.${flipped}`,
      `${version}.${iv}`,
      `v2.${iv}.${body}`,
      `${sealed}.x`,
      "IVF appointment",
      `${version}.!!.${body}`,
    ])
      expect(await codeOf(openField(dataKey, PLACE, broken)), broken).toBe("DATA_INTEGRITY");
  });
});

describe("data keys (AES-KW under the key-encryption key)", () => {
  it("unwrap under the KEK their kid names, the previous one during a rotation; an unknown kid is ENCRYPTION_KEY_UNAVAILABLE", async () => {
    const old = await newDataKey({ DATA_KEK: previous });
    expect(old.stored.kekId).toBe(previous.kid);
    expect(old.stored.wrapped).toHaveLength(40);
    const sealed = await sealField(old.dataKey, PLACE, "sick note");
    forgetDataKeys();
    const rotated = { DATA_KEK: kek, DATA_KEK_PREVIOUS: previous };
    const opened = await openDataKey(rotated, old.stored, NOW);
    expect(await openField(opened!, PLACE, sealed)).toBe("sick note");
    forgetDataKeys();
    expect(await codeOf(openDataKey({ DATA_KEK: kek }, old.stored, NOW))).toBe("ENCRYPTION_KEY_UNAVAILABLE");
    // The right kid on the wrong key material: the wrapping does not authenticate.
    const impostor = { ...kek, kid: previous.kid };
    expect(await codeOf(openDataKey({ DATA_KEK: impostor }, old.stored, NOW))).toBe("DATA_INTEGRITY");
    expect(await openDataKey(rotated, { id: old.stored.id, wrapped: null, kekId: null }, NOW)).toBeNull();
  });

  it("the KEK is exactly 32 bytes of base64url with a kid, and the previous one needs another kid", () => {
    const base = {
      ENVIRONMENT: "test",
      DATABASE_URL: "postgres://u@h/db",
      PIN_PEPPER: "p".repeat(32),
      JWT_SIGNING_KEY: JSON.stringify({ kty: "EC", crv: "P-256", x: "x".repeat(43), y: "y".repeat(43), d: "d".repeat(43), kid: "k" }),
      DB_CLAIMS_KEY: JSON.stringify({ kty: "oct", k: "k".repeat(43), kid: "c" }),
    };
    const problems = (env: Record<string, string>) => {
      const result = parseConfig({ ...base, ...env });
      return result.ok ? [] : result.problems.map((p) => p.variable);
    };
    expect(problems({ DATA_KEK: JSON.stringify(TEST_DATA_KEK) })).toEqual([]);
    expect(problems({})).toEqual(["DATA_KEK"]);
    expect(problems({ DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, k: TEST_DATA_KEK.k.slice(0, 40) }) })).toEqual(["DATA_KEK"]);
    expect(problems({ DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, k: `${TEST_DATA_KEK.k}AA` }) })).toEqual(["DATA_KEK"]);
    expect(problems({ DATA_KEK: JSON.stringify({ ...TEST_DATA_KEK, kid: undefined }) })).toEqual(["DATA_KEK"]);
    expect(problems({ DATA_KEK: "not json" })).toEqual(["DATA_KEK"]);
    expect(problems({ DATA_KEK: JSON.stringify(TEST_DATA_KEK), DATA_KEK_PREVIOUS: JSON.stringify(TEST_DATA_KEK) })).toEqual([
      "DATA_KEK_PREVIOUS",
    ]);
  });
});

describe("idempotency request hashes", () => {
  it("are HMACs under a key derived from the KEK: equal for equal requests, another under another KEK, both sent during a rotation", async () => {
    const input = { policy_key: "pto", start_date: "2027-01-05", reason: "Chemotherapy" };
    const a = await requestHashes({ DATA_KEK: kek }, "submit", input);
    expect(a.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await requestHashes({ DATA_KEK: kek }, "submit", input)).request_hash).toBe(a.request_hash);
    expect((await requestHashes({ DATA_KEK: kek }, "submit", { ...input, reason: "Chemotherapy." })).request_hash).not.toBe(a.request_hash);
    const rotated = await requestHashes({ DATA_KEK: previous, DATA_KEK_PREVIOUS: kek }, "submit", input);
    expect(rotated.request_hash).not.toBe(a.request_hash);
    expect(rotated.request_hash_previous).toBe(a.request_hash);
  });
});
