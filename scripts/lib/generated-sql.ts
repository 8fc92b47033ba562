import { PERMISSIONS, ROLES } from "../../src/kernel/access";
import { CHUNK_LIMITS } from "../../src/kernel/constants";

/**
 * Repeatable migrations written from TypeScript, so that a rule both sides need has one source: the
 * permission matrix becomes `app.can`, the chunk limits of the ledger runs become `app.chunk_size`.
 * `npm run db:functions` writes them; a test fails when a committed file differs from what this produces.
 */
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

const header = (source: string) => `-- Generated from ${source} by \`npm run db:functions\`: change the source, not this file.`;

function permissions(): string {
  const cases = Object.entries(PERMISSIONS).map(
    ([permission, roles]) => `    WHEN ${quote(permission)} THEN ARRAY[${roles.map(quote).join(", ")}]`,
  );
  const byRole = ROLES.map((role) => {
    const granted = Object.entries(PERMISSIONS).filter(([, roles]) => (roles as readonly string[]).includes(role));
    return `    WHEN ${quote(role)} THEN ARRAY[${granted.map(([permission]) => quote(permission)).join(", ")}]`;
  });
  return `${header("PERMISSIONS in src/kernel/access.ts")}
-- Whether the caller's roles allow a permission, within the caller's scopes if it has any (an API key's
-- scopes, a kiosk session's): policies and functions ask app.can('<permission>') instead of naming roles, so
-- a scope narrows what the database shows and does, not only which routes answer. A permission the matrix does
-- not name allows nothing.
CREATE OR REPLACE FUNCTION app.can(p_permission text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT app.granted(CASE p_permission
${cases.join("\n")}
  END, p_permission)
$$;

-- The permissions one role grants (whatever the caller's claims): an API key works only while its creator's
-- roles still grant every permission the key's role and scopes do.
CREATE OR REPLACE FUNCTION app.role_permissions(p_role text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(CASE p_role
${byRole.join("\n")}
  END, '{}')
$$;

REVOKE ALL ON FUNCTION app.can(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.can(text) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.role_permissions(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.role_permissions(text) TO leave_ledger_definer;
`;
}

function chunkLimits(): string {
  const cases = (pick: "default" | "max") =>
    Object.entries(CHUNK_LIMITS)
      .map(([kind, limits]) => `WHEN ${quote(kind)} THEN ${limits[pick]}`)
      .join(" ");
  return `${header("CHUNK_LIMITS in src/kernel/constants.ts")}
-- How many items one call of a chunked ledger run handles: the requested number within [1, max], or the
-- default. The API validates the same bounds; direct callers of the functions are held to them here.
CREATE OR REPLACE FUNCTION app.chunk_size(p_kind text, p_requested int) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT least(greatest(coalesce(p_requested, CASE p_kind ${cases("default")} END), 1), CASE p_kind ${cases("max")} END)
$$;

REVOKE ALL ON FUNCTION app.chunk_size(text, int) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.chunk_size(text, int) TO leave_ledger_definer;
`;
}

/** File (under migrations/) → its content. */
export function generatedSql(): Record<string, string> {
  return { "functions/12_permissions.sql": permissions(), "functions/13_chunk_limits.sql": chunkLimits() };
}
