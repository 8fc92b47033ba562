REVOKE ALL ON data_keys FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
ALTER TABLE "leave_requests" DROP COLUMN "data_key_id";--> statement-breakpoint
ALTER TABLE "approvals" DROP COLUMN "data_key_id";--> statement-breakpoint
DROP TABLE "data_keys" CASCADE;
