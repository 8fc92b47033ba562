CREATE TABLE "accrual_postings" (
	"tenant_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"employee_id" uuid NOT NULL,
	"period" text NOT NULL,
	"amount" numeric(12, 4) NOT NULL,
	"run_id" uuid NOT NULL,
	"posted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "accrual_postings_account_id_period_pk" PRIMARY KEY("account_id","period"),
	CONSTRAINT "accrual_postings_amount" CHECK ("accrual_postings"."amount" >= 0)
);
--> statement-breakpoint
ALTER TABLE "accrual_postings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "accrual_postings" ADD CONSTRAINT "accrual_postings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accrual_postings" ADD CONSTRAINT "accrual_postings_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "accrual_postings_select" ON "accrual_postings" AS PERMISSIVE FOR SELECT TO "leave_ledger_app" USING ("accrual_postings"."tenant_id" = (select app.tenant_id()) and ("accrual_postings"."employee_id" = (select app.employee_id()) or (select app.has_any_role(array['hr_admin','system_admin','auditor'])) or exists (
        select 1 from employees e where e.id = "accrual_postings"."employee_id" and e.manager_id = (select app.employee_id()))));--> statement-breakpoint
CREATE POLICY "accrual_postings_definer" ON "accrual_postings" AS PERMISSIVE FOR ALL TO "leave_ledger_definer" USING (true) WITH CHECK (true);