/**
 * The keys Postgres verifies signed claims with (table `claims_keys`, migration 0019; the Worker signs with
 * DB_CLAIMS_KEY). Written by the schema owner only (the table's owner policy): `npm run db:claims-key`, the local
 * stack and the tests. Nothing here prints or logs a key; errors name the variable, never its value.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type ClaimsKey, claimsKeySchema } from "../../src/kernel/config";

/** Parses a claims key (an HMAC JWK) held in `variable`; throws naming the variable, never the value. */
export function parseClaimsKey(value: string | undefined, variable = "DB_CLAIMS_KEY"): ClaimsKey {
  if (value === undefined || value === "") throw new Error(`${variable} is missing`);
  const result = claimsKeySchema.safeParse(value);
  if (!result.success) throw new Error(`${variable}: ${result.error.issues.map((i) => i.message).join("; ")}`);
  return result.data;
}

/** A new key: 32 random bytes under `kid`. */
export function newClaimsKey(kid: string): ClaimsKey {
  return parseClaimsKey(JSON.stringify({ kty: "oct", k: randomBytes(32).toString("base64url"), kid, alg: "HS256" }), "the new key");
}

const secretOf = (key: ClaimsKey) => Buffer.from(key.k, "base64url");

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("begin");
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Installs `keys` (by kid). A kid already installed with another secret is refused: a key id names one key
 * forever. With `exclusive` (local stacks and tests), the table ends up holding exactly these keys: others are
 * retired and a kid's secret is replaced. Returns the kids added and retired.
 */
export async function installClaimsKeys(
  ownerUrl: string,
  keys: ClaimsKey[],
  { exclusive = false }: { exclusive?: boolean } = {},
): Promise<{ added: string[]; retired: string[] }> {
  return withClient(ownerUrl, async (client) => {
    const retired = exclusive
      ? (
          await client.query<{ kid: string }>("delete from public.claims_keys where not (kid = any ($1::text[])) returning kid", [
            keys.map((k) => k.kid),
          ])
        ).rows.map((r) => r.kid)
      : [];
    const added: string[] = [];
    for (const key of keys) {
      const upsert = exclusive
        ? "insert into public.claims_keys (kid, secret) values ($1, $2) on conflict (kid) do update set secret = excluded.secret where claims_keys.secret <> excluded.secret returning kid"
        : "insert into public.claims_keys (kid, secret) values ($1, $2) on conflict (kid) do nothing returning kid";
      const { rows } = await client.query<{ kid: string }>(upsert, [key.kid, secretOf(key)]);
      if (rows.length) {
        added.push(key.kid);
        continue;
      }
      const { rows: same } = await client.query<{ same: boolean }>("select secret = $2 as same from public.claims_keys where kid = $1", [
        key.kid,
        secretOf(key),
      ]);
      if (!same[0]?.same) throw new Error(`key id ${key.kid} is already installed with another key: give the new key another id`);
    }
    return { added, retired };
  });
}

/** The installed key ids, oldest first (never the keys). */
export async function listClaimsKeys(ownerUrl: string): Promise<{ kid: string; createdAt: Date }[]> {
  return withClient(ownerUrl, async (client) => {
    const { rows } = await client.query<{ kid: string; created_at: Date }>(
      "select kid, created_at from public.claims_keys order by created_at, kid",
    );
    return rows.map((r) => ({ kid: r.kid, createdAt: r.created_at }));
  });
}

/** Removes the key `kid`: claims signed with it are refused from the next statement on. */
export async function retireClaimsKey(ownerUrl: string, kid: string): Promise<boolean> {
  return withClient(
    ownerUrl,
    async (client) => (await client.query("delete from public.claims_keys where kid = $1", [kid])).rowCount === 1,
  );
}
