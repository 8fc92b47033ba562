-- Generated from PERMISSIONS in src/kernel/access.ts by `npm run db:functions`: change the source, not this file.
-- Whether the caller's roles allow a permission. Policies and functions ask app.can('<permission>') instead of
-- naming roles; a permission the matrix does not name allows nothing.
CREATE OR REPLACE FUNCTION app.can(p_permission text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT app.has_any_role(CASE p_permission
    WHEN 'self:read' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'team:read' THEN ARRAY['manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'tenant:read' THEN ARRAY['hr_admin', 'system_admin', 'auditor']
    WHEN 'request:submit' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:reports' THEN ARRAY['manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:any' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'policy:manage' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'accrual:run' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'rollover:run' THEN ARRAY['system_admin']
    WHEN 'reconciliation:run' THEN ARRAY['system_admin']
    WHEN 'audit:read' THEN ARRAY['hr_admin', 'system_admin', 'auditor']
    WHEN 'user:manage' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'role:assign' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'role:assign:system_admin' THEN ARRAY['system_admin']
    WHEN 'apikey:manage' THEN ARRAY['system_admin']
    WHEN 'account:unlock' THEN ARRAY['system_admin']
    WHEN 'config:manage' THEN ARRAY['system_admin']
  END)
$$;

REVOKE ALL ON FUNCTION app.can(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.can(text) TO leave_ledger_app, leave_ledger_definer;
