DROP TABLE booked_days, approvals, idempotency_keys, balance_snapshots, ledger_runs, leave_requests, ledger_entries, ledger_accounts, holidays, audit_chain_heads;
--> statement-breakpoint
DROP INDEX audit_log_chain_idx;
--> statement-breakpoint
ALTER TABLE audit_log DROP COLUMN chain_seq, DROP COLUMN hash;
--> statement-breakpoint
ALTER TABLE employees DROP COLUMN work_week;
--> statement-breakpoint
DROP TYPE ledger_entry_kind, leave_request_status, leave_start_part, leave_end_part, day_half, approval_decision, ledger_run_kind;
