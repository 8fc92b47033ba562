-- Who may manage whom: policies refuse changing the roles or the user row of someone holding a role the caller
-- may not grant. This creates the two functions the policies need with their first bodies;
-- migrations/functions/38_user_management.sql owns every later change of them.
CREATE OR REPLACE FUNCTION app.grantable_roles() RETURNS app_role[] LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN app.can('role:assign:system_admin') THEN enum_range(NULL::app_role)
    WHEN app.can('role:assign') THEN array_remove(enum_range(NULL::app_role), 'system_admin'::app_role)
    ELSE '{}'::app_role[]
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app.may_manage(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND u.tenant_id = app.tenant_id())
     AND (p_user = app.user_id()
          OR NOT EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = p_user AND r.role <> ALL (app.grantable_roles())))
$$;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.may_manage(uuid) OWNER TO leave_ledger_definer;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.grantable_roles() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.grantable_roles() TO leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.may_manage(uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.may_manage(uuid) TO leave_ledger_app;
--> statement-breakpoint
ALTER POLICY "role_assignments_insert" ON "role_assignments" TO leave_ledger_app WITH CHECK ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')) and (select app.may_manage("role_assignments"."user_id")));--> statement-breakpoint
ALTER POLICY "role_assignments_delete" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')) and (select app.may_manage("role_assignments"."user_id")));--> statement-breakpoint
ALTER POLICY "users_update" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage')) and (select app.may_manage("users"."id"))) WITH CHECK ("users"."tenant_id" = (select app.tenant_id()));