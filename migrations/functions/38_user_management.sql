-- Who may manage whom: a caller may set the credentials of, deactivate or change the roles of another user only
-- if every role that user holds is one the caller may grant (System Admin: every role; HR Admin: every role but
-- system_admin). Nobody but a System Admin touches a System Admin, and a tenant always keeps an active one.
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- The roles the caller may grant, from the permission matrix (role:assign, role:assign:system_admin).
CREATE OR REPLACE FUNCTION app.grantable_roles() RETURNS app_role[] LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN app.can('role:assign:system_admin') THEN enum_range(NULL::app_role)
    WHEN app.can('role:assign') THEN array_remove(enum_range(NULL::app_role), 'system_admin'::app_role)
    ELSE '{}'::app_role[]
  END
$$;

-- Whether the caller may manage `p_user`: themself (a person, not an API key acting for its creator: a key never
-- manages the System Admin who made it), or a user of their tenant holding only roles the caller may grant.
-- What the caller may do to them is the permission's business (user:manage, role:assign).
CREATE OR REPLACE FUNCTION app.may_manage(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND u.tenant_id = app.tenant_id())
     AND ((p_user = app.user_id() AND app.claims() ->> 'caller' = 'user')
          OR NOT EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = p_user AND r.role <> ALL (app.grantable_roles())))
$$;

-- The routes' clear answer before anything happens: 404 for a user the caller cannot see (another tenant's),
-- 403 for one who outranks the caller.
CREATE OR REPLACE FUNCTION app.assert_may_manage(p_user uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND u.tenant_id = app.tenant_id()) THEN
    PERFORM app.fail('RESOURCE_NOT_FOUND', 'No such user', jsonb_build_object('user_id', p_user));
  END IF;
  IF NOT app.may_manage(p_user) THEN
    PERFORM app.fail('FORBIDDEN', 'This user holds a role you may not grant: only a System Admin manages a System Admin',
                     jsonb_build_object('user_id', p_user));
  END IF;
  RETURN true;
END
$$;

-- What an edit of an employee's record must respect besides who may manage whom: an erased person's record
-- stays erased (409), and the hire date stays on or before the end date (400 naming the field).
CREATE OR REPLACE FUNCTION app.assert_record_editable(p_employee uuid, p_hire_date date) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  e record;
BEGIN
  SELECT u.status, x.end_date INTO e FROM employees x JOIN users u ON u.id = x.user_id WHERE x.id = p_employee AND x.tenant_id = app.tenant_id();
  IF e.status = 'erased' THEN
    PERFORM app.fail('CONFLICT', 'This person''s data was erased; their record cannot be filled in again', jsonb_build_object('employee_id', p_employee));
  END IF;
  IF p_hire_date > e.end_date THEN
    PERFORM app.fail('VALIDATION_FAILED', 'The hire date is after the end of the employment', jsonb_build_object('issues', jsonb_build_array(
      jsonb_build_object('path', 'hire_date', 'message', 'on or before the end date, ' || e.end_date, 'code', 'custom'))));
  END IF;
  RETURN true;
END
$$;

-- A tenant always keeps an active System Admin: deactivating or demoting the last one is refused. Concurrent
-- changes of one tenant's System Admins queue on a transaction lock, so two of them cannot remove each other.
CREATE OR REPLACE FUNCTION app.keep_a_system_admin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_user uuid;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    IF OLD.status <> 'active' OR NEW.status = 'active'
       OR NOT EXISTS (SELECT 1 FROM role_assignments r WHERE r.user_id = OLD.id AND r.role = 'system_admin') THEN
      RETURN NEW;
    END IF;
    v_user := OLD.id;
  ELSE
    IF OLD.role <> 'system_admin' OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.user_id AND u.status = 'active') THEN
      RETURN OLD;
    END IF;
    v_user := OLD.user_id;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('system-admins:' || OLD.tenant_id, 0));
  IF NOT EXISTS (
    SELECT 1 FROM users u JOIN role_assignments r ON r.user_id = u.id AND r.role = 'system_admin'
    WHERE u.tenant_id = OLD.tenant_id AND u.status = 'active' AND u.id <> v_user
  ) THEN
    PERFORM app.fail('CONFLICT', 'A tenant must keep an active System Admin', jsonb_build_object('user_id', v_user));
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE OR REPLACE TRIGGER users_keep_a_system_admin BEFORE UPDATE OF status ON users
  FOR EACH ROW EXECUTE FUNCTION app.keep_a_system_admin();
CREATE OR REPLACE TRIGGER role_assignments_keep_a_system_admin BEFORE DELETE ON role_assignments
  FOR EACH ROW EXECUTE FUNCTION app.keep_a_system_admin();

-- Who owns and who may call each function: restated on every application, so this file alone says it.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.may_manage(uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.assert_may_manage(uuid) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.assert_record_editable(uuid, date) OWNER TO leave_ledger_definer;
ALTER FUNCTION app.keep_a_system_admin() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.grantable_roles() FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.grantable_roles() TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.may_manage(uuid), app.assert_may_manage(uuid) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.may_manage(uuid), app.assert_may_manage(uuid) TO leave_ledger_app;
REVOKE ALL ON FUNCTION app.keep_a_system_admin() FROM PUBLIC, leave_ledger_app, leave_ledger_system;
REVOKE ALL ON FUNCTION app.assert_record_editable(uuid, date) FROM PUBLIC, leave_ledger_app, leave_ledger_system;
GRANT EXECUTE ON FUNCTION app.assert_record_editable(uuid, date) TO leave_ledger_app;
