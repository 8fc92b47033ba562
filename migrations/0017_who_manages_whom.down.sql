-- The policies as 0016 left them; the two functions go.
ALTER POLICY "role_assignments_insert" ON "role_assignments" TO leave_ledger_app WITH CHECK ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')));
--> statement-breakpoint
ALTER POLICY "role_assignments_delete" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')));
--> statement-breakpoint
ALTER POLICY "users_update" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage'))) WITH CHECK ("users"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
DROP FUNCTION app.may_manage(uuid), app.grantable_roles();
