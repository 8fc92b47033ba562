DROP INDEX "ledger_entries_manual_idx";
DROP TABLE "sign_in_places";
