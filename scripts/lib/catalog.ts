import type pg from "pg";

/**
 * What a repeatable migration can change, read from Postgres' catalog: functions, procedures and views of the
 * `app` schema (definition, owner, privileges) and the triggers on the project's tables. Comparing a snapshot
 * taken before a repeatable with one taken after gives the statements that undo it exactly, whatever it
 * contained.
 */
export interface CatalogObject {
  kind: "function" | "view" | "trigger";
  /** `app.fail(text,text,jsonb)`, `app.some_view`, or the trigger's name. */
  name: string;
  /** The table of a trigger; null otherwise. */
  on: string | null;
  /** A complete statement that creates the object as it is now (a view's options included). */
  definition: string;
  /**
   * What CREATE OR REPLACE cannot change in place: a function's arguments (names, defaults) and result, a
   * view's columns. A trigger's enabled state (O, D, R or A), which its definition does not carry.
   */
  shape: string;
  owner: string | null;
  /** `grantee=PRIVILEGE` entries, sorted; PUBLIC for everyone. */
  acl: string[];
}

export type Catalog = Map<string, CatalogObject>;

const ACL = (column: string, kind: string, owner: string) => `
  array(select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end || '=' || a.privilege_type
        from aclexplode(coalesce(${column}, acldefault('${kind}', ${owner}))) a order by 1)`;

const SNAPSHOT = `
  select 'function' as kind, p.oid::regprocedure::text as name, null::text as on, pg_get_functiondef(p.oid) as definition,
         pg_get_function_arguments(p.oid) || ' -> ' || coalesce(pg_get_function_result(p.oid), 'procedure') as shape,
         quote_ident(pg_get_userbyid(p.proowner)) as owner, ${ACL("p.proacl", "f", "p.proowner")} as acl
    from pg_proc p where p.pronamespace = (select oid from pg_namespace where nspname = 'app') and p.prokind in ('f', 'p')
  union all
  select 'view', c.oid::regclass::text, null,
         'CREATE OR REPLACE VIEW ' || c.oid::regclass::text || coalesce(' WITH (' || array_to_string(c.reloptions, ', ') || ')', '')
           || ' AS ' || pg_get_viewdef(c.oid),
         (select string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
            from pg_attribute where attrelid = c.oid and attnum > 0 and not attisdropped),
         quote_ident(pg_get_userbyid(c.relowner)), ${ACL("c.relacl", "r", "c.relowner")}
    from pg_class c where c.relnamespace = (select oid from pg_namespace where nspname = 'app') and c.relkind = 'v'
  union all
  select 'trigger', quote_ident(t.tgname), t.tgrelid::regclass::text, pg_get_triggerdef(t.oid), t.tgenabled::text, null, array[]::text[]
    from pg_trigger t join pg_class c on c.oid = t.tgrelid
   where not t.tgisinternal and c.relnamespace in (select oid from pg_namespace where nspname in ('public', 'app'))`;

const keyOf = (o: Pick<CatalogObject, "kind" | "name" | "on">) => `${o.kind}:${o.on ?? ""}:${o.name}`;

export async function snapshotCatalog(client: pg.Client): Promise<Catalog> {
  const { rows } = await client.query<CatalogObject>(SNAPSHOT);
  return new Map(rows.map((row) => [keyOf(row), row]));
}

const same = (a: CatalogObject, b: CatalogObject) =>
  a.definition === b.definition && a.shape === b.shape && a.owner === b.owner && a.acl.join(",") === b.acl.join(",");

/** ROUTINE covers functions and procedures alike; views take TABLE privileges. */
const keyword = (o: CatalogObject) => (o.kind === "function" ? "ROUTINE" : "VIEW");

/**
 * Grants back what `was` had, after revoking what either version gave and what a newly created object gets by
 * default (EXECUTE for PUBLIC).
 */
function restorePrivileges(was: CatalogObject, now: CatalogObject | undefined): string[] {
  const target = `${was.kind === "function" ? "ROUTINE" : "TABLE"} ${was.name}`;
  const grantees = new Set(["PUBLIC", ...[...was.acl, ...(now?.acl ?? [])].map((entry) => entry.split("=")[0]!)]);
  return [
    `ALTER ${keyword(was)} ${was.name} OWNER TO ${was.owner}`,
    `REVOKE ALL ON ${target} FROM ${[...grantees].join(", ")}`,
    ...was.acl.map((entry) => {
      const [grantee, privilege] = entry.split("=");
      return `GRANT ${privilege} ON ${target} TO ${grantee}`;
    }),
  ];
}

const TRIGGER_STATES: Record<string, string> = { D: "DISABLE", R: "ENABLE REPLICA", A: "ENABLE ALWAYS" };

/** A trigger as it was: its definition, and its state when not the default (enabled). */
const recreateTrigger = (t: CatalogObject) => [
  t.definition,
  ...(TRIGGER_STATES[t.shape] ? [`ALTER TABLE ${t.on} ${TRIGGER_STATES[t.shape]} TRIGGER ${t.name}`] : []),
];

/**
 * The statements that take the catalog from `after` back to `before`: objects created are dropped, objects
 * changed or dropped get their earlier definition, owner and privileges back (dropped and created anew where
 * CREATE OR REPLACE cannot undo the change). Triggers go first and come back last, so no function they call
 * is missing in between.
 */
export function revertStatements(before: Catalog, after: Catalog): string[] {
  const changed = (kind: CatalogObject["kind"]) =>
    [...after.values()].filter((o) => o.kind === kind && before.has(keyOf(o)) && !same(o, before.get(keyOf(o))!));
  const created = (kind: CatalogObject["kind"]) => [...after.values()].filter((o) => o.kind === kind && !before.has(keyOf(o)));
  const dropped = (kind: CatalogObject["kind"]) => [...before.values()].filter((o) => o.kind === kind && !after.has(keyOf(o)));
  const earlier = (o: CatalogObject) => before.get(keyOf(o))!;
  const restore = (was: CatalogObject) => {
    const now = after.get(keyOf(was));
    const replaceable = !now || (now.shape === was.shape && now.kind === "function");
    return [...(replaceable ? [] : [`DROP ${keyword(was)} ${was.name}`]), was.definition, ...restorePrivileges(was, now)];
  };

  const statements: string[] = [];
  for (const t of [...changed("trigger"), ...created("trigger")]) statements.push(`DROP TRIGGER ${t.name} ON ${t.on}`);
  for (const v of created("view")) statements.push(`DROP VIEW ${v.name}`);
  for (const f of [...changed("function").map(earlier), ...dropped("function")]) statements.push(...restore(f));
  for (const v of [...changed("view").map(earlier), ...dropped("view")]) statements.push(...restore(v));
  for (const f of created("function")) statements.push(`DROP ROUTINE ${f.name}`);
  for (const t of [...changed("trigger").map(earlier), ...dropped("trigger")]) statements.push(...recreateTrigger(t));
  return statements;
}
