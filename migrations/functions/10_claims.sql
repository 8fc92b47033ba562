-- Claims helpers: what every RLS policy and function knows about the caller (set per transaction by the database door).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

-- Claims are set per transaction by the database door (src/db/door.ts), signed by the Worker (src/db/claims.ts):
--   set_config('request.jwt.claims', <claims JSON>, true)
--   set_config('request.jwt.claims_signature', '<kid>:<hex of HMAC-SHA256(key of kid, claims JSON)>', true)
-- Shape: {"sub": user id, "tenant_id", "employee_id", "roles": [...], "caller": "user" | "api_key" | "system:<name>",
-- "exp": seconds since the epoch}.
--
-- Any role can write any request.* setting, so nothing here trusts a setting on its own: every call checks the
-- signature over the exact claims text with the key of its kid (claims_keys, readable only by the definer, which
-- owns this function), then `exp` against the transaction's start on the database clock (5 s of skew; at most
-- 65 s ahead). No claims at all: `{}`, no caller (policies show nothing, functions refuse). Claims that fail a
-- check: insufficient_privilege with HINT CLAIMS_NOT_SIGNED (src/db/errors.ts answers 500: only our own bug or
-- a missing key produces it). There is no memo of an earlier check: a memo a caller cannot forge would itself
-- have to be checked with the key, which is what the check costs (docs/database.md, "Signed claims").
CREATE OR REPLACE FUNCTION app.claims() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_text text := current_setting('request.jwt.claims', true);
  v_signature text;
  v_colon int;
  v_mac bytea;
  v_claims jsonb;
  v_now numeric;
  v_refusal text;
BEGIN
  IF v_text IS NULL OR v_text = '' THEN
    RETURN '{}';
  END IF;
  -- '<kid>:<64 lowercase hex digits>', checked with string functions (a regular expression costs more than the
  -- whole HMAC). An installed kid is well-formed (claims_keys_kid_format), so the lookup checks the kid.
  v_signature := coalesce(current_setting('request.jwt.claims_signature', true), '');
  v_colon := strpos(v_signature, ':');
  IF v_colon < 2 OR length(v_signature) - v_colon <> 64 OR translate(substr(v_signature, v_colon + 1), '0123456789abcdef', '') <> '' THEN
    v_refusal := 'they are not signed';
  ELSE
    SELECT public.hmac(convert_to(v_text, 'UTF8'), k.secret, 'sha256') INTO v_mac
      FROM public.claims_keys k WHERE k.kid = left(v_signature, v_colon - 1);
    IF v_mac IS NULL THEN
      v_refusal := format('they are signed with key id %L, which is not installed', left(v_signature, v_colon - 1));
    -- Compared as hashes, so the time a comparison takes says nothing about the signature being guessed.
    ELSIF sha256(v_mac) <> sha256(decode(substr(v_signature, v_colon + 1), 'hex')) THEN
      v_refusal := 'the signature does not match them';
    ELSE
      v_claims := v_text::jsonb;
      v_now := extract(epoch FROM now());
      IF jsonb_typeof(v_claims -> 'exp') IS DISTINCT FROM 'number' THEN
        v_refusal := 'they carry no exp';
      ELSIF (v_claims ->> 'exp')::numeric < v_now - 5 THEN
        v_refusal := 'they expired';
      ELSIF (v_claims ->> 'exp')::numeric > v_now + 65 THEN
        v_refusal := 'their exp is more than 60 s ahead';
      ELSE
        RETURN v_claims;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION 'request.jwt.claims refused: %', v_refusal
    USING ERRCODE = 'insufficient_privilege', HINT = 'CLAIMS_NOT_SIGNED';
END
$$;

CREATE OR REPLACE FUNCTION app.tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'tenant_id', '')::uuid
$$;

CREATE OR REPLACE FUNCTION app.user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'sub', '')::uuid
$$;

CREATE OR REPLACE FUNCTION app.employee_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(app.claims() ->> 'employee_id', '')::uuid
$$;

-- The managers (employees.id) whose approvals the caller holds by a delegation running at the request's time: the
-- Worker puts them in the signed claims (`acting_for`, only for a person's full session).
CREATE OR REPLACE FUNCTION app.acting_for() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT ARRAY(SELECT jsonb_array_elements_text(coalesce(app.claims() -> 'acting_for', '[]'))::uuid)
$$;

-- The managers whose direct reports the caller sees as their manager: themself and those they act for.
CREATE OR REPLACE FUNCTION app.manager_ids() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT array_remove(ARRAY[nullif(c ->> 'employee_id', '')::uuid], NULL) || ARRAY(SELECT jsonb_array_elements_text(coalesce(c -> 'acting_for', '[]'))::uuid)
  FROM app.claims() AS c
$$;

-- The primitive under app.can (12_permissions.sql), reading the claims once: one of the caller's roles is among
-- `wanted`, and the caller's scopes (an API key's, a kiosk session's), if it has any, include the permission.
-- Policies and functions ask app.can('<permission>'), never this with a list of roles: the permission matrix is
-- the one place that says which roles may do what. (It replaces app.has_any_role, which knew no scopes.)
DROP FUNCTION IF EXISTS app.has_any_role(text[]);
CREATE OR REPLACE FUNCTION app.granted(wanted text[], p_permission text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((c -> 'roles') ?| wanted, false)
     AND (coalesce(jsonb_array_length(c -> 'scopes'), 0) = 0 OR (c -> 'scopes') ? p_permission)
  FROM app.claims() AS c
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
-- app.claims() runs as the definer, the one role that may read claims_keys.
GRANT CREATE ON SCHEMA app TO leave_ledger_definer; -- a new owner needs it for the hand-over
ALTER FUNCTION app.claims() OWNER TO leave_ledger_definer;
REVOKE CREATE ON SCHEMA app FROM leave_ledger_definer;
REVOKE ALL ON FUNCTION app.claims(), app.tenant_id(), app.user_id(), app.employee_id(), app.acting_for(), app.manager_ids(), app.granted(text[],text) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.claims(), app.tenant_id(), app.user_id(), app.employee_id(), app.acting_for(), app.manager_ids(), app.granted(text[],text) TO leave_ledger_app, leave_ledger_definer;
