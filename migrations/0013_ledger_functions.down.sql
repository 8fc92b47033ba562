DROP TRIGGER audit_log_chain ON audit_log;
--> statement-breakpoint
DROP FUNCTION app.submit_leave_request(jsonb), app.decide_leave_request(jsonb), app.cancel_leave_request(jsonb), app.post_adjustment(jsonb),
  app.open_accounts(text, uuid[]), app.expire_overdue(uuid, uuid, timestamptz, int), app.resolve_hold(uuid, leave_request_status, timestamptz, uuid),
  app.entry_json(ledger_entries), app.request_json(leave_requests), app.answer(jsonb, int, jsonb), app.replay(jsonb),
  app.audit_ledger(jsonb, text, text, text, jsonb), app.lock_account(uuid, uuid, text), app.take_snapshot(uuid, date, timestamptz),
  app.snapshot_if_due(uuid, timestamptz), app.balance_of(uuid, date, timestamptz),
  app.charged_half_days(uuid, smallint[], date, date, leave_start_part, leave_end_part), app.unit_factor(policy_unit), app.fail(text, text, jsonb),
  app.verify_audit_chain(bigint, int), app.chain_audit_row(), app.audit_link_hash(text, audit_log), app.audit_row_text(audit_log);
--> statement-breakpoint
DROP TRIGGER ledger_entries_append_only ON ledger_entries;
--> statement-breakpoint
DROP TRIGGER ledger_entries_no_truncate ON ledger_entries;
--> statement-breakpoint
DROP TRIGGER balance_snapshots_append_only ON balance_snapshots;
--> statement-breakpoint
DROP TRIGGER approvals_append_only ON approvals;
--> statement-breakpoint
DROP TRIGGER ledger_runs_append_only ON ledger_runs;
--> statement-breakpoint
DROP FUNCTION app.refuse_change();
--> statement-breakpoint
DROP POLICY leave_policies_definer ON leave_policies;
--> statement-breakpoint
DROP POLICY policy_assignments_definer ON policy_assignments;
--> statement-breakpoint
DROP POLICY audit_log_definer_select ON audit_log;
--> statement-breakpoint
REVOKE SELECT ON audit_log, holidays, leave_policies, policy_assignments, employees FROM leave_ledger_definer;
--> statement-breakpoint
GRANT SELECT (id, tenant_id, user_id, employee_number) ON employees TO leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (work_week) ON employees FROM leave_ledger_app;
--> statement-breakpoint
REVOKE ALL ON holidays, ledger_accounts, ledger_entries, balance_snapshots, leave_requests, booked_days, approvals, idempotency_keys, ledger_runs, audit_chain_heads
  FROM leave_ledger_app, leave_ledger_definer;
