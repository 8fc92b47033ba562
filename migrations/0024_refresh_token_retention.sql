-- Retention: the daily sweep (app.sweep, migrations/functions/90_daily.sql) deletes refresh tokens once they
-- have expired; a token past its expiry opens nothing, and what it recorded (which family, when used) is kept
-- no longer than it can matter.
GRANT DELETE ON refresh_tokens TO leave_ledger_definer;
