-- Generated from PERMISSIONS in src/kernel/access.ts by `npm run db:functions`: change the source, not this file.
-- Whether the caller's roles allow a permission, within the caller's scopes if it has any (an API key's
-- scopes, a kiosk session's): policies and functions ask app.can('<permission>') instead of naming roles, so
-- a scope narrows what the database shows and does, not only which routes answer. A permission the matrix does
-- not name allows nothing.
CREATE OR REPLACE FUNCTION app.can(p_permission text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT app.granted(CASE p_permission
    WHEN 'self:read' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'self:manage' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'team:read' THEN ARRAY['manager', 'hr_admin', 'system_admin', 'auditor']
    WHEN 'tenant:read' THEN ARRAY['hr_admin', 'system_admin', 'auditor']
    WHEN 'request:submit' THEN ARRAY['employee', 'manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:reports' THEN ARRAY['manager', 'hr_admin', 'system_admin']
    WHEN 'request:approve:any' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'request:record:any' THEN ARRAY['hr_admin', 'system_admin']
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
    WHEN 'employee:export' THEN ARRAY['hr_admin', 'system_admin']
    WHEN 'tenant:export' THEN ARRAY['system_admin']
    WHEN 'employee:erase' THEN ARRAY['system_admin']
  END, p_permission)
$$;

-- The permissions one role grants (whatever the caller's claims): an API key works only while its creator's
-- roles still grant every permission the key's role and scopes do.
CREATE OR REPLACE FUNCTION app.role_permissions(p_role text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(CASE p_role
    WHEN 'employee' THEN ARRAY['self:read', 'self:manage', 'request:submit']
    WHEN 'manager' THEN ARRAY['self:read', 'self:manage', 'team:read', 'request:submit', 'request:approve:reports']
    WHEN 'hr_admin' THEN ARRAY['self:read', 'self:manage', 'team:read', 'tenant:read', 'request:submit', 'request:approve:reports', 'request:approve:any', 'request:record:any', 'policy:manage', 'accrual:run', 'audit:read', 'user:manage', 'role:assign', 'employee:export']
    WHEN 'system_admin' THEN ARRAY['self:read', 'self:manage', 'team:read', 'tenant:read', 'request:submit', 'request:approve:reports', 'request:approve:any', 'request:record:any', 'policy:manage', 'accrual:run', 'rollover:run', 'reconciliation:run', 'audit:read', 'user:manage', 'role:assign', 'role:assign:system_admin', 'apikey:manage', 'account:unlock', 'config:manage', 'employee:export', 'tenant:export', 'employee:erase']
    WHEN 'auditor' THEN ARRAY['self:read', 'self:manage', 'team:read', 'tenant:read', 'audit:read']
  END, '{}')
$$;

REVOKE ALL ON FUNCTION app.can(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.can(text) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.role_permissions(text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.role_permissions(text) TO leave_ledger_definer;
