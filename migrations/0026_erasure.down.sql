-- Refused while a user is erased: an erasure cannot be undone (their status has no value to go back to).
REVOKE UPDATE (note) ON ledger_entries FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (comment) ON approvals FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (revoked_at) ON api_keys FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE DELETE ON credentials FROM leave_ledger_definer;
--> statement-breakpoint
DROP POLICY employees_definer_erase ON employees;
--> statement-breakpoint
REVOKE UPDATE (employee_number, time_zone) ON employees FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE SELECT (display_name, created_at, erased_at), UPDATE (status, email, display_name, external_subject, erased_at) ON users FROM leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "erased_at";
--> statement-breakpoint
ALTER TYPE "public"."user_status" RENAME TO "user_status_with_erased";
--> statement-breakpoint
CREATE TYPE "public"."user_status" AS ENUM('active', 'deactivated');
--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "status" DROP DEFAULT;
--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "status" TYPE "public"."user_status" USING "status"::text::"public"."user_status";
--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "status" SET DEFAULT 'active';
--> statement-breakpoint
DROP TYPE "public"."user_status_with_erased";
