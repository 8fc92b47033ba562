ALTER TABLE "leave_policies" DROP CONSTRAINT "leave_policies_accrual_year";
--> statement-breakpoint
ALTER TABLE "leave_policies" DROP COLUMN "accrual_year";
--> statement-breakpoint
DROP TYPE "public"."allowance_year";
