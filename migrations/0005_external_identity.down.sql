DROP INDEX users_tenant_external_subject_key;
--> statement-breakpoint
ALTER TABLE users DROP COLUMN external_subject;
