-- Yearly allowances granted up front: a yearly policy's year begins on 1 January or on the anniversary of the
-- employee's hire date. drizzle-kit's output.
CREATE TYPE "public"."allowance_year" AS ENUM('calendar', 'anniversary');--> statement-breakpoint
ALTER TABLE "leave_policies" ADD COLUMN "accrual_year" "allowance_year" DEFAULT 'calendar' NOT NULL;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_accrual_year" CHECK ("leave_policies"."accrual_year" = 'calendar' or "leave_policies"."accrual_period" = 'yearly');--> statement-breakpoint
-- Before this migration a yearly allowance was posted only for years whose 1 January an assignment covered. The
-- new schedule also grants a prorated share of a year begun part-way through; for the years before the current one
-- that would be back pay nobody asked for, so those years are marked done (amount 0, never posted as entries).
-- The current year's share is posted by the next run, as for any new assignment. Down leaves the markers: they
-- are append-only, and the old schedule never posts those years either.
-- The owner reads and writes past row-level security for this one statement (the migration's transaction).
ALTER TABLE "ledger_accounts" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "policy_assignments" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "leave_policies" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "accrual_postings" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
INSERT INTO "accrual_postings" ("tenant_id", "account_id", "employee_id", "period", "amount", "run_id", "posted_at")
SELECT a."tenant_id", a."id", a."employee_id", to_char(y, 'YYYY'), 0, '00000000-0000-4000-8000-000000000036', now()
FROM "ledger_accounts" a
JOIN "policy_assignments" pa ON pa."tenant_id" = a."tenant_id" AND pa."employee_id" = a."employee_id" AND pa."policy_key" = a."policy_key"
CROSS JOIN LATERAL generate_series(date_trunc('year', pa."starts_on"), date_trunc('year', now()) - interval '1 year', interval '1 year') y
WHERE EXISTS (SELECT 1 FROM "leave_policies" p WHERE p."tenant_id" = a."tenant_id" AND p."key" = a."policy_key" AND p."accrual_period" = 'yearly')
ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "ledger_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "policy_assignments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "leave_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "accrual_postings" FORCE ROW LEVEL SECURITY;
