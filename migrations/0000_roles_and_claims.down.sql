DROP SCHEMA app CASCADE;
--> statement-breakpoint
REVOKE USAGE ON SCHEMA public FROM leave_ledger_app, leave_ledger_definer;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO PUBLIC;
--> statement-breakpoint
REVOKE leave_ledger_definer FROM CURRENT_USER;
--> statement-breakpoint
-- Roles are cluster-wide and may still be used by another database of the cluster: drop them only when
-- nothing else depends on them.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['leave_ledger_authenticator', 'leave_ledger_app', 'leave_ledger_system', 'leave_ledger_definer'] LOOP
    BEGIN
      EXECUTE format('DROP ROLE IF EXISTS %I', r);
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % kept: still used elsewhere in the cluster', r;
    END;
  END LOOP;
END
$$;
