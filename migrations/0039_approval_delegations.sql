-- Approval delegations: a manager hands their approvals to a colleague for a time window. The delegate's signed
-- claims name the managers they act for (`acting_for`, set by the Worker at the request's time), and every policy
-- that shows a manager their direct reports' rows now asks app.manager_ids() (themself and those they act for).
-- Written only by the definer functions in migrations/functions/39_delegations.sql. drizzle-kit's output; the two
-- claims readers the policies call are created first (10_claims.sql owns them from here), grants by hand.
CREATE OR REPLACE FUNCTION app.acting_for() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT ARRAY(SELECT jsonb_array_elements_text(coalesce(app.claims() -> 'acting_for', '[]'))::uuid)
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION app.manager_ids() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT array_remove(ARRAY[nullif(c ->> 'employee_id', '')::uuid], NULL) || ARRAY(SELECT jsonb_array_elements_text(coalesce(c -> 'acting_for', '[]'))::uuid)
  FROM app.claims() AS c
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.acting_for(), app.manager_ids() FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.acting_for(), app.manager_ids() TO leave_ledger_app, leave_ledger_definer;--> statement-breakpoint
CREATE TABLE "approval_delegations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"delegator_id" uuid NOT NULL,
	"delegate_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" uuid,
	CONSTRAINT "approval_delegations_window" CHECK ("approval_delegations"."ends_at" > "approval_delegations"."starts_at"),
	CONSTRAINT "approval_delegations_distinct" CHECK ("approval_delegations"."delegator_id" <> "approval_delegations"."delegate_id"),
	CONSTRAINT "approval_delegations_revocation" CHECK (("approval_delegations"."revoked_at" is null) = ("approval_delegations"."revoked_by" is null))
);
--> statement-breakpoint
ALTER TABLE "approval_delegations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "delegation_id" uuid;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "on_behalf_of" uuid;--> statement-breakpoint
ALTER TABLE "approval_delegations" ADD CONSTRAINT "approval_delegations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_delegations" ADD CONSTRAINT "approval_delegations_delegator_fk" FOREIGN KEY ("tenant_id","delegator_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_delegations" ADD CONSTRAINT "approval_delegations_delegate_fk" FOREIGN KEY ("tenant_id","delegate_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_delegations_delegate_idx" ON "approval_delegations" USING btree ("delegate_id","ends_at");--> statement-breakpoint
CREATE INDEX "approval_delegations_delegator_idx" ON "approval_delegations" USING btree ("delegator_id","ends_at");--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_delegation_id_approval_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."approval_delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "approval_delegations_select" ON "approval_delegations" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("approval_delegations"."tenant_id" = (select app.tenant_id()) and ("approval_delegations"."delegator_id" = (select app.employee_id()) or "approval_delegations"."delegate_id" = (select app.employee_id()) or (select app.can('tenant:read'))));--> statement-breakpoint
CREATE POLICY "approval_delegations_definer" ON "approval_delegations" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER POLICY "data_keys_select" ON "data_keys" TO leave_ledger_app USING ("data_keys"."tenant_id" = (select app.tenant_id()) and ("data_keys"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "data_keys"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "employees_select" ON "employees" TO leave_ledger_app USING ("employees"."tenant_id" = (select app.tenant_id()) and ("employees"."id" = (select app.employee_id()) or "employees"."manager_id" = any((select app.manager_ids())::uuid[]) or (select app.can('tenant:read'))));--> statement-breakpoint
ALTER POLICY "users_select" ON "users" TO leave_ledger_app USING ("users"."tenant_id" = (select app.tenant_id()) and ("users"."id" = (select app.user_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.user_id = "users"."id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "accrual_postings_select" ON "accrual_postings" TO leave_ledger_app USING ("accrual_postings"."tenant_id" = (select app.tenant_id()) and ("accrual_postings"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "accrual_postings"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "approvals_select" ON "approvals" TO leave_ledger_app USING ("approvals"."tenant_id" = (select app.tenant_id()) and ("approvals"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "approvals"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "balance_snapshots_select" ON "balance_snapshots" TO leave_ledger_app USING ("balance_snapshots"."tenant_id" = (select app.tenant_id()) and ("balance_snapshots"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "balance_snapshots"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "booked_days_select" ON "booked_days" TO leave_ledger_app USING ("booked_days"."tenant_id" = (select app.tenant_id()) and ("booked_days"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "booked_days"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "leave_requests_select" ON "leave_requests" TO leave_ledger_app USING ("leave_requests"."tenant_id" = (select app.tenant_id()) and ("leave_requests"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "leave_requests"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "ledger_accounts_select" ON "ledger_accounts" TO leave_ledger_app USING ("ledger_accounts"."tenant_id" = (select app.tenant_id()) and ("ledger_accounts"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_accounts"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "ledger_entries_select" ON "ledger_entries" TO leave_ledger_app USING ("ledger_entries"."tenant_id" = (select app.tenant_id()) and ("ledger_entries"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "ledger_entries"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "request_comments_select" ON "request_comments" TO leave_ledger_app USING ("request_comments"."tenant_id" = (select app.tenant_id()) and ("request_comments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "request_comments"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER POLICY "policy_assignments_select" ON "policy_assignments" TO leave_ledger_app USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and ("policy_assignments"."employee_id" = (select app.employee_id()) or (select app.can('tenant:read')) or exists (
        select 1 from employees e where e.id = "policy_assignments"."employee_id" and e.manager_id = any((select app.manager_ids())::uuid[]))));--> statement-breakpoint
ALTER TABLE approval_delegations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT ON approval_delegations TO leave_ledger_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON approval_delegations TO leave_ledger_definer;
