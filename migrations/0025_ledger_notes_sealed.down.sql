-- System notes of entries posted since 0025 are lost with their column (entries are append-only: nothing moves them back),
-- and the Worker before 0025 shows sealed notes as their ciphertext (`v1.…`): roll back only with no sealed note written.
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_data_key_id_data_keys_id_fk";--> statement-breakpoint
ALTER TABLE "ledger_entries" DROP COLUMN "system_note";--> statement-breakpoint
ALTER TABLE "ledger_entries" DROP COLUMN "data_key_id";
