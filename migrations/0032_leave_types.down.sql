ALTER TABLE "leave_policies" DROP CONSTRAINT "leave_policies_approvals";
--> statement-breakpoint
ALTER TABLE "leave_policies" ADD CONSTRAINT "leave_policies_approvals" CHECK ("leave_policies"."approvals_required" in (1, 2) and "leave_policies"."approval_ttl_hours" > 0 and "leave_policies"."waiting_period_days" >= 0);
--> statement-breakpoint
ALTER TABLE "leave_policies" DROP CONSTRAINT "leave_policies_untracked";
--> statement-breakpoint
ALTER TABLE "leave_policies" DROP COLUMN "managers_may_record";
--> statement-breakpoint
ALTER TABLE "leave_policies" DROP COLUMN "tracking";
--> statement-breakpoint
ALTER TABLE "leave_policies" DROP COLUMN "category";
--> statement-breakpoint
DROP TYPE "public"."leave_category";
--> statement-breakpoint
DROP TYPE "public"."balance_tracking";
