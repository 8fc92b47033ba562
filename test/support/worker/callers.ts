import { inject } from "vitest";
import { ACME, GLOBEX, type SeedPerson, type SeedTenant } from "../../../scripts/lib/seed-data";
import type { Caller, UserClaims } from "../../../src/db/claims";
import type { Config } from "../../../src/kernel/config";
import { TEST_DB_CLAIMS_KEY } from "../test-constants";

/** The claims the server would build for a seeded person. */
export function userCaller(tenant: SeedTenant, person: SeedPerson): Caller {
  const claims: UserClaims = {
    caller: "user",
    sub: person.userId,
    tenant_id: tenant.id,
    employee_id: person.employeeId,
    roles: person.roles,
  };
  return { kind: "user", claims };
}

const byEmail = (tenant: SeedTenant, prefix: string) => {
  const person = tenant.people.find((p) => p.email.startsWith(prefix));
  if (!person) throw new Error(`no seeded person ${prefix} in ${tenant.slug}`);
  return person;
};

export const people = {
  sam: byEmail(ACME, "sam."),
  hana: byEmail(ACME, "hana."),
  mike: byEmail(ACME, "mike."),
  emma: byEmail(ACME, "emma."),
  eli: byEmail(ACME, "eli."),
  ada: byEmail(ACME, "ada."),
  gina: byEmail(GLOBEX, "gina."),
  gus: byEmail(GLOBEX, "gus."),
};

export const as = {
  sam: userCaller(ACME, people.sam),
  hana: userCaller(ACME, people.hana),
  mike: userCaller(ACME, people.mike),
  emma: userCaller(ACME, people.emma),
  eli: userCaller(ACME, people.eli),
  ada: userCaller(ACME, people.ada),
  gina: userCaller(GLOBEX, people.gina),
};

/** The Worker's claims key in the tests (one object, so the door imports it once). */
export const testClaimsKey: Config["DB_CLAIMS_KEY"] = { ...TEST_DB_CLAIMS_KEY };

/** A database config for the door; `app` tags the connection so the local Neon endpoint counts its round trips. */
export function dbConfig(app?: string): Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DB_CLAIMS_KEY"> {
  const url = new URL(inject("databaseUrl"));
  if (app) url.searchParams.set("application_name", app);
  return { DATABASE_URL: url.toString(), NEON_FETCH_ENDPOINT: inject("neonEndpoint"), DB_CLAIMS_KEY: testClaimsKey };
}

export async function roundTrips(app: string): Promise<number> {
  const stats = new URL(inject("neonEndpoint"));
  stats.pathname = "/stats";
  stats.searchParams.set("app", app);
  const body = (await (await fetch(stats)).json()) as { round_trips: number };
  return body.round_trips;
}
