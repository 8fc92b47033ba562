REVOKE DELETE ON refresh_tokens FROM leave_ledger_definer;
