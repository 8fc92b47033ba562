-- Tokens from a tenant's external OIDC issuer name the user by `sub`; this maps it to our user.
GRANT SELECT (external_subject) ON users TO leave_ledger_definer;
--> statement-breakpoint
CREATE FUNCTION app.user_by_external_subject(p_tenant_id uuid, p_subject text)
RETURNS TABLE (user_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id FROM users u WHERE u.tenant_id = p_tenant_id AND u.external_subject = p_subject AND u.status = 'active'
$$;
--> statement-breakpoint
GRANT CREATE ON SCHEMA app TO leave_ledger_definer;
--> statement-breakpoint
ALTER FUNCTION app.user_by_external_subject(uuid, text) OWNER TO leave_ledger_definer;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION app.user_by_external_subject(uuid, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.user_by_external_subject(uuid, text) TO leave_ledger_system;
