REVOKE UPDATE ON webhook_subscriptions FROM leave_ledger_definer;
REVOKE DELETE ON outbox_events FROM leave_ledger_definer;
DROP TABLE "webhook_attempts";
DROP TABLE "webhook_deliveries";
