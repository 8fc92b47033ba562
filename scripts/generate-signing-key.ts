/**
 * Prints a new ES256 signing key as a JWK, for `wrangler secret put JWT_SIGNING_KEY`.
 *   npm run generate-signing-key -- prod-2026-11 | npx wrangler secret put JWT_SIGNING_KEY --env production
 */
import { exportJWK, generateKeyPair } from "jose";

const kid = process.argv[2] ?? `key-${new Date().toISOString().slice(0, 10)}`;
if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) {
  console.error("The key id may use letters, digits, dot, underscore and dash (1-64 characters).");
  process.exit(2);
}
const { privateKey } = await generateKeyPair("ES256", { extractable: true });
process.stdout.write(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: "ES256" }));
