-- The people directory (GET /v1/employees): substring search over names, emails and employee numbers through
-- trigram indexes (pg_trgm is a trusted extension: the database owner may create it, on Neon too).
-- drizzle-kit's output, then the extension by hand.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;--> statement-breakpoint
CREATE INDEX "employees_number_trgm" ON "employees" USING gin ("employee_number" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "users_display_name_trgm" ON "users" USING gin ("display_name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "users_email_trgm" ON "users" USING gin ("email" gin_trgm_ops);
