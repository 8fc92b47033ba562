import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";
import { newClaimsKey } from "./claims-keys";

/** A key-encryption key (DATA_KEK) as the Worker reads it: 32 random bytes as an A256KW JSON Web Key. */
export const newDataKek = (kid: string) => ({ kty: "oct", k: randomBytes(32).toString("base64url"), kid, alg: "A256KW" });

/** Fresh secrets for a local run (dev server, bench): a PIN pepper, an ES256 signing key, a claims key and a key-encryption key. */
export async function generateLocalSecrets(): Promise<Record<string, string>> {
  const kid = `local-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`;
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
  return {
    PIN_PEPPER: randomBytes(32).toString("base64url"),
    JWT_SIGNING_KEY: JSON.stringify(jwk),
    DB_CLAIMS_KEY: JSON.stringify(newClaimsKey(kid)),
    DATA_KEK: JSON.stringify(newDataKek(kid)),
  };
}
