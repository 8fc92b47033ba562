import { type SQL, sql } from "drizzle-orm";
import { can } from "../../auth/permissions";
import { userCaller } from "../../auth/principal";
import { runInDatabase } from "../../db/door";
import type { RequestFacts } from "../../domain/audit";
import type { Config } from "../../kernel/config";
import type { Principal } from "../../kernel/context";
import { AppError } from "../../kernel/errors";
import { decodeCursor, isUuid, pageOf } from "../../kernel/pagination";
import { isStorableText } from "../../kernel/text";
import type { AbsenceFilter, AbsencePage } from "./schemas";

type Row = AbsencePage["data"][number];

/** A name from a cursor: text Postgres takes back (no NUL, no lone surrogate), as long as a name may be. */
const isName = (v: unknown): v is string => typeof v === "string" && v.length <= 200 && isStorableText(v);

/**
 * Who is out between `from` and `to`: a page of the people with approved or pending (unexpired) leave in the
 * window, by name, each with their days, without reasons. One statement: the window's booked days (an index on
 * tenant and day), their requests and people, under row-level security like every read.
 */
export async function absences(config: Config, facts: RequestFacts, principal: Principal, query: AbsenceFilter): Promise<AbsencePage> {
  if (query.scope === "tenant" && !can(principal, "tenant:read"))
    throw new AppError("FORBIDDEN", "Only HR Admins, System Admins and Auditors see the whole tenant", { permission: "tenant:read" });
  const scope: SQL = query.scope === "team" ? sql`e.manager_id = ${principal.employeeId ?? null}::uuid` : sql`true`;
  let after: SQL = sql`true`;
  if (query.cursor) {
    const [name, id] = decodeCursor<[string, string]>("absences", query.cursor, [isName, isUuid]);
    after = sql`(u.display_name, e.id) > (${name}, ${id}::uuid)`;
  }
  const now = new Date(facts.now).toISOString();
  const [result] = await runInDatabase(
    config,
    userCaller(principal),
    (db) => [
      db.execute<Row>(sql`with out as (
          select b.employee_id, b.day, b.half, r.id as request_id, r.status, r.policy_key, r.policy_version_id
          from booked_days b join leave_requests r on r.id = b.request_id
          where b.tenant_id = ${principal.tenantId} and b.day between ${query.from}::date and ${query.to}::date
            and (r.status = 'approved' or (r.status = 'pending' and r.expires_at > ${now}::timestamptz))
        ), people as (
          select e.id, u.display_name from employees e join users u on u.id = e.user_id
          where e.id in (select employee_id from out) and ${scope} and ${after}
          order by u.display_name, e.id limit ${query.limit + 1}
        ), halves as (
          select o.employee_id, o.day, case when count(*) = 2 then 'day' else min(o.half::text) end as part, o.status, o.policy_key,
                 pol.category, o.request_id
          from out o join people p on p.id = o.employee_id join leave_policies pol on pol.id = o.policy_version_id
          group by o.employee_id, o.day, o.status, o.policy_key, pol.category, o.request_id
        ), days as (
          select h.employee_id, jsonb_agg(jsonb_build_object('day', h.day, 'part', h.part, 'status', h.status, 'policy_key', h.policy_key,
                                                             'category', h.category, 'request_id', h.request_id) order by h.day, h.part) as days
          from halves h group by h.employee_id
        )
        select p.id as employee_id, p.display_name as employee_name, d.days
        from people p join days d on d.employee_id = p.id order by p.display_name, p.id`),
    ],
    { readOnly: true },
  );
  const page = pageOf("absences", result.rows, query.limit, (row) => [row.employee_name, row.employee_id]);
  return { from: query.from, to: query.to, ...page };
}
