DROP FUNCTION app.password_hash_of(uuid);
--> statement-breakpoint
DROP FUNCTION app.set_credentials(uuid, text, text, bigint, timestamptz);
