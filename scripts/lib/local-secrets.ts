import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";

/** Fresh secrets for a local run (dev server, bench): a PIN pepper and an ES256 signing key. */
export async function generateLocalSecrets(): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `local-${new Date().toISOString().slice(0, 10)}`, alg: "ES256" };
  return { PIN_PEPPER: randomBytes(32).toString("base64url"), JWT_SIGNING_KEY: JSON.stringify(jwk) };
}
