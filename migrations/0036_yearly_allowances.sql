-- Yearly allowances granted up front: a yearly policy's year begins on 1 January or on the anniversary of the
-- employee's hire date. drizzle-kit's output.
CREATE TYPE "public"."allowance_year" AS ENUM('calendar', 'anniversary');--> statement-breakpoint
ALTER TABLE "leave_policies" ADD COLUMN "accrual_year" "allowance_year" DEFAULT 'calendar' NOT NULL;--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_accrual_year" CHECK ("leave_policies"."accrual_year" = 'calendar' or "leave_policies"."accrual_period" = 'yearly');