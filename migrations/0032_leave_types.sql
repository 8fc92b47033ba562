-- Leave types that behave like the real ones: a category, balance tracking (untracked: unlimited, never
-- checked), an approval mode of none (recorded at once), one or two approvers, and whether managers may record
-- requests for their reports. drizzle-kit's output.
CREATE TYPE "public"."balance_tracking" AS ENUM('tracked', 'untracked');--> statement-breakpoint
CREATE TYPE "public"."leave_category" AS ENUM('vacation', 'sick', 'parental', 'unpaid', 'other');--> statement-breakpoint
ALTER TABLE "leave_policies" DROP CONSTRAINT "leave_policies_approvals";--> statement-breakpoint
ALTER TABLE "leave_policies" ADD COLUMN "category" "leave_category" DEFAULT 'vacation' NOT NULL;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD COLUMN "tracking" "balance_tracking" DEFAULT 'tracked' NOT NULL;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD COLUMN "managers_may_record" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_untracked" CHECK ("leave_policies"."tracking" = 'tracked' or ("leave_policies"."accrual_period" = 'none' and "leave_policies"."max_balance" is null and "leave_policies"."carryover_cap" is null and "leave_policies"."carryover_expiry_months" is null and "leave_policies"."negative_allowance" = 0));--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_approvals" CHECK ("leave_policies"."approvals_required" in (0, 1, 2) and "leave_policies"."approval_ttl_hours" > 0 and "leave_policies"."waiting_period_days" >= 0);