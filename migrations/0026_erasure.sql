-- Erasure of a person's data (app.erase_employee, migrations/functions/64_erasure.sql): users gain the status
-- `erased` (for good: nothing makes an erased user active again) and when it happened; drizzle-kit's output.
-- By hand: what the erasure function, owned by the definer role, may change — the personal columns it
-- pseudonymizes, the credentials it removes, the keys it revokes, and the never-sealed plaintext it erases —
-- and the columns of users the export (app.subject_export) reads besides those the login functions read.
ALTER TYPE "public"."user_status" ADD VALUE 'erased';--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "erased_at" timestamp with time zone;
--> statement-breakpoint
GRANT SELECT (display_name, created_at, erased_at), UPDATE (status, email, display_name, external_subject, erased_at) ON users TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (employee_number, time_zone) ON employees TO leave_ledger_definer;
--> statement-breakpoint
CREATE POLICY employees_definer_erase ON employees FOR UPDATE TO leave_ledger_definer
  USING ((select app.claims() ->> 'caller') is not null) WITH CHECK ((select app.claims() ->> 'caller') is not null);
--> statement-breakpoint
GRANT DELETE ON credentials TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (revoked_at) ON api_keys TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (comment) ON approvals TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (note) ON ledger_entries TO leave_ledger_definer;
