/**
 * Prints a new key-encryption key (32 random bytes as an A256KW JWK), for `wrangler secret put DATA_KEK`.
 *   npm run -s generate-data-kek -- prod-2026-12 | npx wrangler secret put DATA_KEK --env production
 */
import { newDataKek } from "./lib/local-secrets";

const kid = process.argv[2] ?? `kek-${new Date().toISOString().slice(0, 10)}`;
if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) {
  console.error("The key id may use letters, digits, dot, underscore and dash (1-64 characters).");
  process.exit(2);
}
process.stdout.write(JSON.stringify(newDataKek(kid)));
