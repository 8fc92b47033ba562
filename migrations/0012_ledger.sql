CREATE TYPE "public"."day_half" AS ENUM('morning', 'afternoon');--> statement-breakpoint
CREATE TYPE "public"."approval_decision" AS ENUM('approve', 'reject');--> statement-breakpoint
CREATE TYPE "public"."leave_end_part" AS ENUM('midday', 'evening');--> statement-breakpoint
CREATE TYPE "public"."ledger_entry_kind" AS ENUM('accrual', 'grant', 'hold', 'hold_release', 'usage', 'adjustment', 'carryover_out', 'carryover_in', 'expiry', 'reversal');--> statement-breakpoint
CREATE TYPE "public"."leave_request_status" AS ENUM('pending', 'approved', 'rejected', 'cancelled', 'expired');--> statement-breakpoint
CREATE TYPE "public"."ledger_run_kind" AS ENUM('accrual', 'rollover', 'rollover_reversal', 'snapshot');--> statement-breakpoint
CREATE TYPE "public"."leave_start_part" AS ENUM('morning', 'afternoon');--> statement-breakpoint
CREATE TABLE "audit_chain_heads" (
	"chain_id" uuid PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	"last_hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"request_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"approver_id" uuid NOT NULL,
	"decision" "approval_decision" NOT NULL,
	"comment" text,
	"decided_at" timestamp with time zone NOT NULL,
	CONSTRAINT "approvals_one_per_approver" UNIQUE("request_id","approver_id")
);
--> statement-breakpoint
ALTER TABLE "approvals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "balance_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "balance_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"as_of" date NOT NULL,
	"through_entry_id" bigint NOT NULL,
	"settled_to_date" numeric(12, 4) NOT NULL,
	"settled_after" numeric(12, 4) NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "balance_snapshots" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "booked_days" (
	"tenant_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"day" date NOT NULL,
	"half" "day_half" NOT NULL,
	"request_id" uuid NOT NULL,
	CONSTRAINT "booked_days_employee_id_day_half_pk" PRIMARY KEY("employee_id","day","half")
);
--> statement-breakpoint
ALTER TABLE "booked_days" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "holidays" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "holidays_tenant_id_day_pk" PRIMARY KEY("tenant_id","day")
);
--> statement-breakpoint
ALTER TABLE "holidays" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" uuid NOT NULL,
	"caller_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" smallint NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_caller_id_key_pk" PRIMARY KEY("tenant_id","caller_id","key")
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "leave_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"policy_key" text NOT NULL,
	"policy_version_id" uuid NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"start_part" "leave_start_part" NOT NULL,
	"end_part" "leave_end_part" NOT NULL,
	"days" numeric(12, 4) NOT NULL,
	"amount" numeric(12, 4) NOT NULL,
	"reason" text,
	"status" "leave_request_status" DEFAULT 'pending' NOT NULL,
	"approvals_required" smallint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"submitted_by" uuid NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid,
	CONSTRAINT "leave_requests_dates" CHECK ("leave_requests"."end_date" >= "leave_requests"."start_date" and "leave_requests"."days" > 0 and "leave_requests"."amount" > 0),
	CONSTRAINT "leave_requests_resolution" CHECK (("leave_requests"."status" = 'pending') = ("leave_requests"."resolved_at" is null))
);
--> statement-breakpoint
ALTER TABLE "leave_requests" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"policy_key" text NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_employee_policy_key" UNIQUE("tenant_id","employee_id","policy_key")
);
--> statement-breakpoint
ALTER TABLE "ledger_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"policy_key" text NOT NULL,
	"policy_version_id" uuid,
	"kind" "ledger_entry_kind" NOT NULL,
	"amount" numeric(12, 4) NOT NULL,
	"effective_date" date NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reference" text NOT NULL,
	"request_id" uuid,
	"run_id" uuid,
	"resolves_entry_id" bigint,
	"expires_at" timestamp with time zone,
	"actor_id" text,
	"note" text,
	CONSTRAINT "ledger_entries_reference_key" UNIQUE("account_id","reference"),
	CONSTRAINT "ledger_entries_sign" CHECK (case when "ledger_entries"."kind" in ('accrual', 'grant', 'hold_release', 'carryover_in') then "ledger_entries"."amount" > 0
               when "ledger_entries"."kind" in ('hold', 'usage', 'carryover_out', 'expiry') then "ledger_entries"."amount" < 0
               else "ledger_entries"."amount" <> 0 end),
	CONSTRAINT "ledger_entries_hold_expiry" CHECK (("ledger_entries"."kind" = 'hold') = ("ledger_entries"."expires_at" is not null)),
	CONSTRAINT "ledger_entries_resolution" CHECK (("ledger_entries"."kind" = 'hold_release') = ("ledger_entries"."resolves_entry_id" is not null) or "ledger_entries"."kind" = 'reversal')
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "ledger_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" "ledger_run_kind" NOT NULL,
	"period" text NOT NULL,
	"reverses_run_id" uuid,
	"actor_id" text NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ledger_runs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "chain_seq" bigint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "hash" text;--> statement-breakpoint
ALTER TABLE "employees" ADD COLUMN "work_week" smallint[] DEFAULT '{1,2,3,4,5}'::smallint[] NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_request_id_leave_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."leave_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "balance_snapshots" ADD CONSTRAINT "balance_snapshots_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "balance_snapshots" ADD CONSTRAINT "balance_snapshots_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booked_days" ADD CONSTRAINT "booked_days_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booked_days" ADD CONSTRAINT "booked_days_request_id_leave_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."leave_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "holidays" ADD CONSTRAINT "holidays_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leave_requests" ADD CONSTRAINT "leave_requests_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leave_requests" ADD CONSTRAINT "leave_requests_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leave_requests" ADD CONSTRAINT "leave_requests_employee_fk" FOREIGN KEY ("tenant_id","employee_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_employee_fk" FOREIGN KEY ("tenant_id","employee_id") REFERENCES "public"."employees"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_resolves_fk" FOREIGN KEY ("resolves_entry_id") REFERENCES "public"."ledger_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_runs" ADD CONSTRAINT "ledger_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "balance_snapshots_account_idx" ON "balance_snapshots" USING btree ("account_id","through_entry_id");--> statement-breakpoint
CREATE INDEX "balance_snapshots_account_as_of_idx" ON "balance_snapshots" USING btree ("account_id","as_of","through_entry_id");--> statement-breakpoint
CREATE INDEX "booked_days_request_idx" ON "booked_days" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "leave_requests_employee_idx" ON "leave_requests" USING btree ("tenant_id","employee_id","submitted_at","id");--> statement-breakpoint
CREATE INDEX "leave_requests_tenant_idx" ON "leave_requests" USING btree ("tenant_id","submitted_at","id");--> statement-breakpoint
CREATE INDEX "leave_requests_pending_idx" ON "leave_requests" USING btree ("tenant_id","expires_at") WHERE "leave_requests"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_resolves_key" ON "ledger_entries" USING btree ("resolves_entry_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_date_idx" ON "ledger_entries" USING btree ("account_id","effective_date");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_id_idx" ON "ledger_entries" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_employee_kind_date_idx" ON "ledger_entries" USING btree ("employee_id","kind","effective_date");--> statement-breakpoint
CREATE INDEX "ledger_entries_request_idx" ON "ledger_entries" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_open_holds_idx" ON "ledger_entries" USING btree ("account_id","expires_at") WHERE "ledger_entries"."kind" = 'hold';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_runs_one_reversal" ON "ledger_runs" USING btree ("reverses_run_id");--> statement-breakpoint
CREATE INDEX "ledger_runs_tenant_idx" ON "ledger_runs" USING btree ("tenant_id","kind","started_at");--> statement-breakpoint
CREATE INDEX "audit_log_chain_idx" ON "audit_log" USING btree ("tenant_id","chain_seq");--> statement-breakpoint
CREATE POLICY "audit_chain_heads_definer" ON "audit_chain_heads" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "approvals_select" ON "approvals" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("approvals"."tenant_id" = (select app.tenant_id()) and ("approvals"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "approvals"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "approvals_definer" ON "approvals" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "balance_snapshots_select" ON "balance_snapshots" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("balance_snapshots"."tenant_id" = (select app.tenant_id()) and ("balance_snapshots"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "balance_snapshots"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "balance_snapshots_definer" ON "balance_snapshots" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "booked_days_select" ON "booked_days" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("booked_days"."tenant_id" = (select app.tenant_id()) and ("booked_days"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "booked_days"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "booked_days_definer" ON "booked_days" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "holidays_select" ON "holidays" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("holidays"."tenant_id" = (select app.tenant_id()));--> statement-breakpoint
CREATE POLICY "holidays_insert" ON "holidays" AS PERMISSIVE FOR INSERT TO "leave_ledger_app" WITH CHECK ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));--> statement-breakpoint
CREATE POLICY "holidays_delete" ON "holidays" AS PERMISSIVE FOR DELETE TO "leave_ledger_app" USING ("holidays"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin'])));--> statement-breakpoint
CREATE POLICY "holidays_definer" ON "holidays" AS PERMISSIVE FOR SELECT TO "leave_ledger_definer" USING (true);--> statement-breakpoint
CREATE POLICY "idempotency_keys_definer" ON "idempotency_keys" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "leave_requests_select" ON "leave_requests" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("leave_requests"."tenant_id" = (select app.tenant_id()) and ("leave_requests"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "leave_requests"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "leave_requests_definer" ON "leave_requests" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "ledger_accounts_select" ON "ledger_accounts" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("ledger_accounts"."tenant_id" = (select app.tenant_id()) and ("ledger_accounts"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "ledger_accounts"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "ledger_accounts_definer" ON "ledger_accounts" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "ledger_entries_select" ON "ledger_entries" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("ledger_entries"."tenant_id" = (select app.tenant_id()) and ("ledger_entries"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "ledger_entries"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "ledger_entries_definer" ON "ledger_entries" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "ledger_runs_select" ON "ledger_runs" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("ledger_runs"."tenant_id" = (select app.tenant_id()) and (select app.has_any_role(array['hr_admin','system_admin','auditor'])));--> statement-breakpoint
CREATE POLICY "ledger_runs_definer" ON "ledger_runs" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);