REVOKE UPDATE (data_key_id, system_note) ON ledger_entries FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE UPDATE (data_key_id) ON approvals FROM leave_ledger_definer;
