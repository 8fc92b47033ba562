-- One permission vocabulary: policies ask app.can('<permission>') instead of listing roles. This creates
-- app.can with its first body, because the policies below need it; migrations/functions/12_permissions.sql
-- (generated from the permission matrix) owns every later change of it.
CREATE OR REPLACE FUNCTION app.can(p_permission text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT app.has_any_role(CASE p_permission
    WHEN 'self:read' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'team:read' THEN ARRAY['manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'tenant:read' THEN ARRAY['hr_admin', 'system_admin', 'auditor']
    WHEN 'request:submit' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:reports' THEN ARRAY['manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:any' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'policy:manage' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'accrual:run' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'rollover:run' THEN ARRAY['system_admin']
    WHEN 'reconciliation:run' THEN ARRAY['system_admin']
    WHEN 'audit:read' THEN ARRAY['hr_admin', 'system_admin', 'auditor']
    WHEN 'user:manage' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'role:assign' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'role:assign:system_admin' THEN ARRAY['system_admin']
    WHEN 'apikey:manage' THEN ARRAY['system_admin']
    WHEN 'account:unlock' THEN ARRAY['system_admin']
    WHEN 'config:manage' THEN ARRAY['system_admin']
  END)
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.can(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.can(text) TO leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
ALTER POLICY "api_keys_select" ON "api_keys" TO leave_ledger_app USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.can('apikey:manage')));--> statement-breakpoint
ALTER POLICY "api_keys_insert" ON "api_keys" TO leave_ledger_app WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.can('apikey:manage')) and "api_keys"."created_by" = (select app.user_id()));--> statement-breakpoint
ALTER POLICY "api_keys_update" ON "api_keys" TO leave_ledger_app USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.can('apikey:manage'))) WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
ALTER POLICY "audit_log_select" ON "audit_log" TO leave_ledger_app USING ("audit_log"."tenant_id" = (select app.tenant_id()) and (select app.can('audit:read')));--> statement-breakpoint
ALTER POLICY "employees_select" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and ("employees"."id" = (select app.employee_id()) or "employees"."manager_id" = (select app.employee_id()) or (select app.can('tenant:read'))));--> statement-breakpoint
ALTER POLICY "employees_insert" ON "employees" TO leave_ledger_app WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage')));--> statement-breakpoint
ALTER POLICY "employees_update" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage'))) WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
ALTER POLICY "role_assignments_select" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ("role_assignments"."user_id" = (select app.user_id()) or (select app.can('tenant:read'))));--> statement-breakpoint
ALTER POLICY "role_assignments_insert" ON "role_assignments" TO leave_ledger_app WITH CHECK ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')));--> statement-breakpoint
ALTER POLICY "role_assignments_delete" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.can('role:assign:system_admin')) or ((select app.can('role:assign')) and "role_assignments"."role" <> 'system_admin')));--> statement-breakpoint
ALTER POLICY "users_select" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and ("users"."id" = (select app.user_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.user_id = "users"."id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "users_insert" ON "users" TO leave_ledger_app WITH CHECK ("users"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage')));--> statement-breakpoint
ALTER POLICY "users_update" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and (select app.can('user:manage'))) WITH CHECK ("users"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
ALTER POLICY "leave_policies_insert" ON "leave_policies" TO leave_ledger_app WITH CHECK ("leave_policies"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')) and "leave_policies"."created_by" = (select app.user_id()));--> statement-breakpoint
ALTER POLICY "policy_assignments_select" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and ("policy_assignments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "policy_assignments"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "policy_assignments_insert" ON "policy_assignments" TO leave_ledger_app WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')));--> statement-breakpoint
ALTER POLICY "policy_assignments_update" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage'))) WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
ALTER POLICY "accrual_postings_select" ON "accrual_postings" TO leave_ledger_app USING ("accrual_postings"."tenant_id" = (select app.tenant_id()) and ("accrual_postings"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "accrual_postings"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "approvals_select" ON "approvals" TO leave_ledger_app USING ("approvals"."tenant_id" = (select app.tenant_id()) and ("approvals"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "approvals"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "balance_snapshots_select" ON "balance_snapshots" TO leave_ledger_app USING ("balance_snapshots"."tenant_id" = (select app.tenant_id()) and ("balance_snapshots"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "balance_snapshots"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "booked_days_select" ON "booked_days" TO leave_ledger_app USING ("booked_days"."tenant_id" = (select app.tenant_id()) and ("booked_days"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "booked_days"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "holidays_insert" ON "holidays" TO leave_ledger_app WITH CHECK ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')));--> statement-breakpoint
ALTER POLICY "holidays_delete" ON "holidays" TO leave_ledger_app USING ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.can('policy:manage')));--> statement-breakpoint
ALTER POLICY "leave_requests_select" ON "leave_requests" TO leave_ledger_app USING ("leave_requests"."tenant_id" = (select app.tenant_id()) and ("leave_requests"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "leave_requests"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "ledger_accounts_select" ON "ledger_accounts" TO leave_ledger_app USING ("ledger_accounts"."tenant_id" = (select app.tenant_id()) and ("ledger_accounts"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_accounts"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "ledger_entries_select" ON "ledger_entries" TO leave_ledger_app USING ("ledger_entries"."tenant_id" = (select app.tenant_id()) and ("ledger_entries"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_entries"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
ALTER POLICY "ledger_runs_select" ON "ledger_runs" TO leave_ledger_app USING ("ledger_runs"."tenant_id" = (select app.tenant_id()) and (select app.can('tenant:read')));