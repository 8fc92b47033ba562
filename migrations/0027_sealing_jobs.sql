-- The daily job seals fields written before sealed fields existed and moves the system's notes out of `note`
-- (migrations/functions/63_key_jobs.sql): the definer may set the key a comment or note is sealed with, and an
-- entry's system note.
GRANT UPDATE (data_key_id) ON approvals TO leave_ledger_definer;
--> statement-breakpoint
GRANT UPDATE (data_key_id, system_note) ON ledger_entries TO leave_ledger_definer;
