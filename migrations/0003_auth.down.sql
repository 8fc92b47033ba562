DROP TABLE audit_log, credentials, refresh_tokens;
--> statement-breakpoint
ALTER TABLE users DROP COLUMN session_version, DROP COLUMN permission_version;
