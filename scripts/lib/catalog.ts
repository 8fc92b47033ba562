import type pg from "pg";

/**
 * What a repeatable migration can change, read from Postgres' catalog: functions and views of the `app`
 * schema (definition, owner, privileges) and the triggers on the project's tables. Comparing a snapshot taken
 * before a repeatable with one taken after gives the statements that undo it exactly, whatever it contained.
 */
export interface CatalogObject {
  kind: "function" | "view" | "trigger";
  /** `app.fail(text,text,jsonb)`, `app.some_view`, or the trigger's name. */
  name: string;
  /** The table of a trigger; null otherwise. */
  on: string | null;
  /** A complete statement that creates the object as it is now. */
  definition: string;
  /** Functions: the result type (a change of it cannot be undone by CREATE OR REPLACE). */
  result: string | null;
  owner: string | null;
  /** `grantee=PRIVILEGE` entries, sorted; PUBLIC for everyone. */
  acl: string[];
}

export type Catalog = Map<string, CatalogObject>;

const SNAPSHOT = `
  select 'function' as kind, p.oid::regprocedure::text as name, null::text as on, pg_get_functiondef(p.oid) as definition,
         pg_get_function_result(p.oid) as result, quote_ident(pg_get_userbyid(p.proowner)) as owner,
         array(select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end || '=' || a.privilege_type
               from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a order by 1) as acl
    from pg_proc p where p.pronamespace = (select oid from pg_namespace where nspname = 'app') and p.prokind in ('f', 'p')
  union all
  select 'view', c.oid::regclass::text, null, 'CREATE OR REPLACE VIEW ' || c.oid::regclass::text || ' AS ' || pg_get_viewdef(c.oid),
         null, quote_ident(pg_get_userbyid(c.relowner)),
         array(select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end || '=' || a.privilege_type
               from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a order by 1)
    from pg_class c where c.relnamespace = (select oid from pg_namespace where nspname = 'app') and c.relkind = 'v'
  union all
  select 'trigger', quote_ident(t.tgname), t.tgrelid::regclass::text, pg_get_triggerdef(t.oid), null, null, array[]::text[]
    from pg_trigger t join pg_class c on c.oid = t.tgrelid
   where not t.tgisinternal and c.relnamespace in (select oid from pg_namespace where nspname in ('public', 'app'))`;

const keyOf = (o: Pick<CatalogObject, "kind" | "name" | "on">) => `${o.kind}:${o.on ?? ""}:${o.name}`;

export async function snapshotCatalog(client: pg.Client): Promise<Catalog> {
  const { rows } = await client.query<CatalogObject>(SNAPSHOT);
  return new Map(rows.map((row) => [keyOf(row), row]));
}

const same = (a: CatalogObject, b: CatalogObject) =>
  a.definition === b.definition && a.owner === b.owner && a.acl.join(",") === b.acl.join(",");

/** Grants back what `was` had, after revoking what either version gave. */
function restorePrivileges(was: CatalogObject, now: CatalogObject | undefined): string[] {
  const target = was.kind === "function" ? `FUNCTION ${was.name}` : `TABLE ${was.name}`;
  const grantees = new Set([...was.acl, ...(now?.acl ?? [])].map((entry) => entry.split("=")[0]!));
  return [
    `ALTER ${was.kind === "function" ? "FUNCTION" : "VIEW"} ${was.name} OWNER TO ${was.owner}`,
    `REVOKE ALL ON ${target} FROM ${[...grantees].join(", ")}`,
    ...was.acl.map((entry) => {
      const [grantee, privilege] = entry.split("=");
      return `GRANT ${privilege} ON ${target} TO ${grantee}`;
    }),
  ];
}

/**
 * The statements that take the catalog from `after` back to `before`: objects created are dropped, objects
 * changed or dropped get their earlier definition, owner and privileges back. Triggers go first and come back
 * last, so no function they call is missing in between.
 */
export function revertStatements(before: Catalog, after: Catalog): string[] {
  const changed = (kind: CatalogObject["kind"]) =>
    [...after.values()].filter((o) => o.kind === kind && before.has(keyOf(o)) && !same(o, before.get(keyOf(o))!));
  const created = (kind: CatalogObject["kind"]) => [...after.values()].filter((o) => o.kind === kind && !before.has(keyOf(o)));
  const dropped = (kind: CatalogObject["kind"]) => [...before.values()].filter((o) => o.kind === kind && !after.has(keyOf(o)));
  const earlier = (o: CatalogObject) => before.get(keyOf(o))!;

  const statements: string[] = [];
  for (const t of [...changed("trigger"), ...created("trigger")]) statements.push(`DROP TRIGGER ${t.name} ON ${t.on}`);
  for (const v of created("view")) statements.push(`DROP VIEW ${v.name}`);
  for (const f of [...changed("function").map(earlier), ...dropped("function")]) {
    const now = after.get(keyOf(f));
    if (now && now.result !== f.result) statements.push(`DROP FUNCTION ${f.name}`);
    statements.push(f.definition, ...restorePrivileges(f, now));
  }
  for (const v of [...changed("view").map(earlier), ...dropped("view")])
    statements.push(v.definition, ...restorePrivileges(v, after.get(keyOf(v))));
  for (const f of created("function")) statements.push(`DROP FUNCTION ${f.name}`);
  for (const t of [...changed("trigger").map(earlier), ...dropped("trigger")]) statements.push(t.definition);
  return statements;
}
