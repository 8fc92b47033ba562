-- Policies name roles again (their expressions before 0016); app.can goes.
ALTER POLICY "api_keys_select" ON "api_keys" TO leave_ledger_app USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin'])));
--> statement-breakpoint
ALTER POLICY "api_keys_insert" ON "api_keys" TO leave_ledger_app WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin'])) and "api_keys"."created_by" = (select app.user_id()));
--> statement-breakpoint
ALTER POLICY "api_keys_update" ON "api_keys" TO leave_ledger_app USING ("api_keys"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['system_admin']))) WITH CHECK ("api_keys"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
ALTER POLICY "audit_log_select" ON "audit_log" TO leave_ledger_app USING ("audit_log"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin','auditor'])));
--> statement-breakpoint
ALTER POLICY "employees_select" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and ("employees"."id" = (select app.employee_id()) or "employees"."manager_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor']))));
--> statement-breakpoint
ALTER POLICY "employees_insert" ON "employees" TO leave_ledger_app WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));
--> statement-breakpoint
ALTER POLICY "employees_update" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("employees"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
ALTER POLICY "role_assignments_select" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ("role_assignments"."user_id" = (select app.user_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor']))));
--> statement-breakpoint
ALTER POLICY "role_assignments_insert" ON "role_assignments" TO leave_ledger_app WITH CHECK ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.has_any_role(array['system_admin'])) or ((select app.has_any_role(array['hr_admin'])) and "role_assignments"."role" <> 'system_admin')));
--> statement-breakpoint
ALTER POLICY "role_assignments_delete" ON "role_assignments" TO leave_ledger_app USING ("role_assignments"."tenant_id" = (select app.tenant_id()) and ((select app.has_any_role(array['system_admin'])) or ((select app.has_any_role(array['hr_admin'])) and "role_assignments"."role" <> 'system_admin')));
--> statement-breakpoint
ALTER POLICY "users_select" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and ("users"."id" = (select app.user_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.user_id = "users"."id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "users_insert" ON "users" TO leave_ledger_app WITH CHECK ("users"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));
--> statement-breakpoint
ALTER POLICY "users_update" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("users"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
ALTER POLICY "leave_policies_insert" ON "leave_policies" TO leave_ledger_app WITH CHECK ("leave_policies"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])) and "leave_policies"."created_by" = (select app.user_id()));
--> statement-breakpoint
ALTER POLICY "policy_assignments_select" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and ("policy_assignments"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "policy_assignments"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "policy_assignments_insert" ON "policy_assignments" TO leave_ledger_app WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));
--> statement-breakpoint
ALTER POLICY "policy_assignments_update" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()));
--> statement-breakpoint
ALTER POLICY "accrual_postings_select" ON "accrual_postings" TO leave_ledger_app USING ("accrual_postings"."tenant_id" = (select app.tenant_id()) and ("accrual_postings"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "accrual_postings"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "approvals_select" ON "approvals" TO leave_ledger_app USING ("approvals"."tenant_id" = (select app.tenant_id()) and ("approvals"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "approvals"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "balance_snapshots_select" ON "balance_snapshots" TO leave_ledger_app USING ("balance_snapshots"."tenant_id" = (select app.tenant_id()) and ("balance_snapshots"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "balance_snapshots"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "booked_days_select" ON "booked_days" TO leave_ledger_app USING ("booked_days"."tenant_id" = (select app.tenant_id()) and ("booked_days"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "booked_days"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "holidays_insert" ON "holidays" TO leave_ledger_app WITH CHECK ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));
--> statement-breakpoint
ALTER POLICY "holidays_delete" ON "holidays" TO leave_ledger_app USING ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));
--> statement-breakpoint
ALTER POLICY "leave_requests_select" ON "leave_requests" TO leave_ledger_app USING ("leave_requests"."tenant_id" = (select app.tenant_id()) and ("leave_requests"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "leave_requests"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "ledger_accounts_select" ON "ledger_accounts" TO leave_ledger_app USING ("ledger_accounts"."tenant_id" = (select app.tenant_id()) and ("ledger_accounts"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "ledger_accounts"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "ledger_entries_select" ON "ledger_entries" TO leave_ledger_app USING ("ledger_entries"."tenant_id" = (select app.tenant_id()) and ("ledger_entries"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "ledger_entries"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "ledger_runs_select" ON "ledger_runs" TO leave_ledger_app USING ("ledger_runs"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin','auditor'])));
--> statement-breakpoint
DROP FUNCTION app.can(text);
