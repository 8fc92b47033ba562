ALTER POLICY "data_keys_select" ON "data_keys" TO leave_ledger_app USING ("data_keys"."tenant_id" = (select app.tenant_id()) and ("data_keys"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "data_keys"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "employees_select" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and ("employees"."id" = (select app.employee_id()) or "employees"."manager_id" = (select app.employee_id()) or (select app.can('tenant:read'))));
--> statement-breakpoint
ALTER POLICY "users_select" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and ("users"."id" = (select app.user_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.user_id = "users"."id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "accrual_postings_select" ON "accrual_postings" TO leave_ledger_app USING ("accrual_postings"."tenant_id" = (select app.tenant_id()) and ("accrual_postings"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "accrual_postings"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "approvals_select" ON "approvals" TO leave_ledger_app USING ("approvals"."tenant_id" = (select app.tenant_id()) and ("approvals"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "approvals"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "balance_snapshots_select" ON "balance_snapshots" TO leave_ledger_app USING ("balance_snapshots"."tenant_id" = (select app.tenant_id()) and ("balance_snapshots"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "balance_snapshots"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "booked_days_select" ON "booked_days" TO leave_ledger_app USING ("booked_days"."tenant_id" = (select app.tenant_id()) and ("booked_days"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "booked_days"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "leave_requests_select" ON "leave_requests" TO leave_ledger_app USING ("leave_requests"."tenant_id" = (select app.tenant_id()) and ("leave_requests"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "leave_requests"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "ledger_accounts_select" ON "ledger_accounts" TO leave_ledger_app USING ("ledger_accounts"."tenant_id" = (select app.tenant_id()) and ("ledger_accounts"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_accounts"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "ledger_entries_select" ON "ledger_entries" TO leave_ledger_app USING ("ledger_entries"."tenant_id" = (select app.tenant_id()) and ("ledger_entries"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_entries"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "request_comments_select" ON "request_comments" TO leave_ledger_app USING ("request_comments"."tenant_id" = (select app.tenant_id()) and ("request_comments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "request_comments"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER POLICY "policy_assignments_select" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and ("policy_assignments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "policy_assignments"."employee_id" and e.manager_id = (select app.employee_id()))));
--> statement-breakpoint
ALTER TABLE "approvals" DROP CONSTRAINT "approvals_delegation_id_approval_delegations_id_fk";
--> statement-breakpoint
ALTER TABLE "approvals" DROP COLUMN "delegation_id";
--> statement-breakpoint
ALTER TABLE "approvals" DROP COLUMN "on_behalf_of";
--> statement-breakpoint
DROP TABLE "approval_delegations";
--> statement-breakpoint
DROP FUNCTION app.manager_ids();
--> statement-breakpoint
DROP FUNCTION app.acting_for();
