-- HR's notes on grants and adjustments are sealed by the Worker like reasons (the data key the new column
-- names); what the system notes on the entries it posts (a hold's outcome, a rollover's year) moves to a column
-- of its own, so `note` holds only what a person wrote. drizzle-kit's output. Older entries keep their note as
-- written until the sealing job rewrites it (docs/operations.md).
ALTER TABLE "ledger_entries" ADD COLUMN "data_key_id" uuid;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "system_note" text;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_data_key_id_data_keys_id_fk" FOREIGN KEY ("data_key_id") REFERENCES "public"."data_keys"("id") ON DELETE no action ON UPDATE no action;