/**
 * `npm run db:claims-key -- <command>`: the keys Postgres verifies the Worker's signed claims with (table
 * `claims_keys`; the Worker signs with DB_CLAIMS_KEY). Keys never reach a log or a terminal.
 *
 *   generate <kid>  print a new key as a JWK on stdout, which must not be a terminal:
 *                   export DB_CLAIMS_KEY="$(npm run -s db:claims-key -- generate prod-2026-12)"
 *   install         install DB_CLAIMS_KEY (and DB_CLAIMS_PREVIOUS_KEY, if set) from the environment
 *   retire <kid>    remove a key: claims signed with it are refused from the next statement on
 *   list            the installed key ids and when they were installed
 *
 * install, retire and list connect as MIGRATION_DATABASE_URL (the schema owner). `npm run db:migrate` installs
 * DB_CLAIMS_KEY too when it is set. Rotation (docs/operations.md): generate → install → deploy the Worker with
 * it → after a minute, retire the old kid.
 */
import { installClaimsKeys, listClaimsKeys, newClaimsKey, parseClaimsKey, retireClaimsKey } from "./lib/claims-keys";

const KID = /^[A-Za-z0-9._-]{1,64}$/;
const say = (line: string) => process.stderr.write(`${line}\n`);
const [command, arg] = process.argv.slice(2);

function ownerUrl(): string {
  const url = process.env.MIGRATION_DATABASE_URL;
  if (!url) throw new Error("set MIGRATION_DATABASE_URL to the schema owner's URL (the role that runs the migrations)");
  return url;
}

try {
  if (command === "generate") {
    if (!arg || !KID.test(arg)) throw new Error("generate takes a key id: letters, digits, dot, underscore and dash (1-64 characters)");
    if (process.stdout.isTTY) throw new Error('the key goes to stdout: capture it (DB_CLAIMS_KEY="$(…)") or pipe it, never to a terminal');
    process.stdout.write(JSON.stringify(newClaimsKey(arg)));
  } else if (command === "install") {
    const keys = [parseClaimsKey(process.env.DB_CLAIMS_KEY)];
    if (process.env.DB_CLAIMS_PREVIOUS_KEY) keys.push(parseClaimsKey(process.env.DB_CLAIMS_PREVIOUS_KEY, "DB_CLAIMS_PREVIOUS_KEY"));
    const { added } = await installClaimsKeys(ownerUrl(), keys);
    say(added.length ? `installed claims key(s) ${added.join(", ")}` : `already installed: ${keys.map((k) => k.kid).join(", ")}`);
  } else if (command === "retire") {
    if (!arg) throw new Error("retire takes a key id");
    say((await retireClaimsKey(ownerUrl(), arg)) ? `retired claims key ${arg}` : `no claims key ${arg} is installed`);
  } else if (command === "list") {
    for (const { kid, createdAt } of await listClaimsKeys(ownerUrl())) console.log(`${kid}\t${createdAt.toISOString()}`);
  } else {
    throw new Error("use generate <kid>, install, retire <kid> or list");
  }
} catch (error) {
  say(`db:claims-key failed: ${(error as Error).message}`);
  process.exit(command ? 1 : 2);
}
