-- Refresh tokens remember whether a kiosk (PIN) login issued them, so a refresh keeps a kiosk session a kiosk
-- session. Which live tokens came from PIN logins was never recorded: those of users with a PIN are revoked
-- (they sign in again) rather than let one refresh into a session with every power of the user's roles.
ALTER TABLE "refresh_tokens" ADD COLUMN "kiosk" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
UPDATE "refresh_tokens" r SET "revoked_at" = now()
FROM "credentials" c WHERE c."user_id" = r."user_id" AND c."pin_hash" IS NOT NULL AND r."revoked_at" IS NULL;
