import { afterEach, expect } from "vitest";
import { SET_SIGNED_CLAIMS_SQL, signClaims } from "../../../src/db/claims";
import { testClaimsKey } from "./callers";
import { resetDatabase, superuserSql } from "./harness";

/**
 * After every Worker test: each tenant's audit hash chains still verify. Whatever a test did through the
 * API, it left a chain an Auditor can trust; only a test that tampers on purpose says so, and its tampering is
 * wiped before the next test (which may not reset the database itself).
 */
let brokenOnPurpose = false;

export function auditChainBrokenOnPurpose(): void {
  brokenOnPurpose = true;
}

afterEach(async () => {
  if (brokenOnPurpose) {
    brokenOnPurpose = false;
    await resetDatabase();
    return;
  }
  const sql = superuserSql();
  const chains = (await sql`select distinct tenant_id from audit_log where tenant_id is not null`) as {
    tenant_id: string;
  }[];
  for (const { tenant_id } of chains) {
    // The tenant's Auditor (the superuser reads every row; the chains' heads are shown to audit readers); signed
    // like the Worker's claims, or app.claims() refuses them.
    const signed = await signClaims({ tenant_id, roles: ["auditor"] }, testClaimsKey);
    const [, verdict] = (await sql.transaction([
      sql.query(SET_SIGNED_CLAIMS_SQL, [signed.claims, signed.signature]),
      sql`select broken_id, reason from app.verify_audit_chains(0, 2147483647)`,
    ])) as [unknown, { broken_id: string | null; reason: string | null }[]];
    expect(verdict[0], `audit chain of tenant ${tenant_id}`).toEqual({ broken_id: null, reason: null });
  }
});
