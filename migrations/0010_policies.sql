CREATE TYPE "public"."accrual_period" AS ENUM('none', 'monthly', 'yearly');--> statement-breakpoint
CREATE TYPE "public"."policy_unit" AS ENUM('day', 'half_day', 'hour');--> statement-breakpoint
CREATE TABLE "leave_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"unit" "policy_unit" NOT NULL,
	"accrual_period" "accrual_period" DEFAULT 'none' NOT NULL,
	"accrual_amount" numeric(10, 4) DEFAULT 0 NOT NULL,
	"max_balance" numeric(10, 4),
	"carryover_cap" numeric(10, 4),
	"carryover_expiry_months" smallint,
	"negative_allowance" numeric(10, 4) DEFAULT 0 NOT NULL,
	"waiting_period_days" integer DEFAULT 0 NOT NULL,
	"approvals_required" smallint DEFAULT 1 NOT NULL,
	"approval_ttl_hours" integer DEFAULT 168 NOT NULL,
	"effective_from" date NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "leave_policies_key_version_key" UNIQUE("tenant_id","key","version"),
	CONSTRAINT "leave_policies_key_format" CHECK ("leave_policies"."key" ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
	CONSTRAINT "leave_policies_version_positive" CHECK ("leave_policies"."version" >= 1),
	CONSTRAINT "leave_policies_amounts" CHECK ("leave_policies"."accrual_amount" >= 0 and coalesce("leave_policies"."max_balance", 0) >= 0 and coalesce("leave_policies"."carryover_cap", 0) >= 0 and "leave_policies"."negative_allowance" >= 0),
	CONSTRAINT "leave_policies_accrual" CHECK (("leave_policies"."accrual_period" = 'none') = ("leave_policies"."accrual_amount" = 0)),
	CONSTRAINT "leave_policies_carryover_expiry" CHECK ("leave_policies"."carryover_expiry_months" is null or "leave_policies"."carryover_expiry_months" between 1 and 36),
	CONSTRAINT "leave_policies_approvals" CHECK ("leave_policies"."approvals_required" in (1, 2) and "leave_policies"."approval_ttl_hours" > 0 and "leave_policies"."waiting_period_days" >= 0)
);
--> statement-breakpoint
ALTER TABLE "leave_policies" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "policy_assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"policy_key" text NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_assignments_start_key" UNIQUE("tenant_id","employee_id","policy_key","starts_on"),
	CONSTRAINT "policy_assignments_dates" CHECK ("policy_assignments"."ends_on" is null or "policy_assignments"."ends_on" >= "policy_assignments"."starts_on")
);
--> statement-breakpoint
ALTER TABLE "policy_assignments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_assignments" ADD CONSTRAINT "policy_assignments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_assignments" ADD CONSTRAINT "policy_assignments_employee_fk" FOREIGN KEY ("tenant_id","employee_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policy_assignments_policy_idx" ON "policy_assignments" USING btree ("tenant_id","policy_key");--> statement-breakpoint
CREATE POLICY "leave_policies_select" ON "leave_policies" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("leave_policies"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
CREATE POLICY "leave_policies_insert" ON "leave_policies" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("leave_policies"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])) and "leave_policies"."created_by" = (select app.user_id()));--> statement-breakpoint
CREATE POLICY "policy_assignments_select" ON "policy_assignments" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and ("policy_assignments"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "policy_assignments"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "policy_assignments_insert" ON "policy_assignments" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));--> statement-breakpoint
CREATE POLICY "policy_assignments_update" ON "policy_assignments" AS PERMISSIVE FOR UPDATE TO "leave_ledger_app" USING ("policy_assignments"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin']))) WITH CHECK ("policy_assignments"."tenant_id" = (select app.tenant_id()));