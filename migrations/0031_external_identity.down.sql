REVOKE UPDATE (external_subject) ON users FROM leave_ledger_app;
