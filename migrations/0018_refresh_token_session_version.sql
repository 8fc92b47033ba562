-- Refresh tokens remember the session version they were issued under; rotation refuses one behind the user's
-- current version. Tokens alive today were issued under their user's current version (any raise revoked the rest).
ALTER TABLE "refresh_tokens" ADD COLUMN "session_version" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE "refresh_tokens" r SET "session_version" = u."session_version" FROM "users" u WHERE u."id" = r."user_id";
