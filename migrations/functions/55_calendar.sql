-- Dates: an employee's today, and which half days of a span a request charges (work week, holiday calendar).
-- The one current definition: applied again by the migrator whenever this file changes (docs/database.md).

DROP FUNCTION IF EXISTS app.charged_half_days(uuid, smallint[], date, date, leave_start_part, leave_end_part);

-- The calendar date in a time zone at an instant: an employee's "today" is today_in(their time zone, now).
-- Mirrors dateIn() in src/domain/calendar.ts.
CREATE OR REPLACE FUNCTION app.today_in(p_time_zone text, p_now timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (p_now AT TIME ZONE p_time_zone)::date
$$;

-- The half days a request books: the employee's working days (work week minus their holiday calendar's) from
-- start to end, less the morning of the first day if it starts in the afternoon and the afternoon of the
-- last if it ends at midday. Tested against chargedDays() in test/support/worker/calendar-oracle.ts.
CREATE OR REPLACE FUNCTION app.charged_half_days(p_tenant uuid, p_calendar text, p_work_week smallint[], p_start date, p_end date, p_start_part leave_start_part, p_end_part leave_end_part)
RETURNS TABLE (day date, half day_half) LANGUAGE sql STABLE AS $$
  SELECT d::date, h.half
  FROM generate_series(p_start, p_end, interval '1 day') d
  CROSS JOIN (VALUES ('morning'::day_half), ('afternoon'::day_half)) h(half)
  WHERE extract(isodow FROM d)::smallint = ANY (p_work_week)
    AND NOT EXISTS (SELECT 1 FROM holidays x WHERE x.tenant_id = p_tenant AND x.calendar = p_calendar AND x.day = d::date)
    AND NOT (d::date = p_start AND p_start_part = 'afternoon' AND h.half = 'morning')
    AND NOT (d::date = p_end AND p_end_part = 'midday' AND h.half = 'afternoon')
  ORDER BY 1, 2
$$;

-- The lock that orders a calendar's holiday changes with the pricing of requests under it: a change takes it
-- exclusively (app.change_holiday), a submission or an employee's move to the calendar shares it, so neither
-- prices days by a holiday list the other is changing.
CREATE OR REPLACE FUNCTION app.lock_holiday_calendar(p_tenant uuid, p_calendar text, p_exclusive boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_key bigint := hashtextextended('holiday-calendar:' || p_tenant || ':' || p_calendar, 0);
BEGIN
  IF p_exclusive THEN
    PERFORM pg_advisory_xact_lock(v_key);
  ELSIF v_key IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock_shared(v_key);
  END IF;
END
$$;

-- Who owns and who may call each function: restated on every application, so this file alone says it.
REVOKE ALL ON FUNCTION app.today_in(text, timestamp with time zone), app.charged_half_days(uuid,text,smallint[],date,date,leave_start_part,leave_end_part) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.today_in(text, timestamp with time zone), app.charged_half_days(uuid,text,smallint[],date,date,leave_start_part,leave_end_part) TO leave_ledger_app, leave_ledger_definer;
REVOKE ALL ON FUNCTION app.lock_holiday_calendar(uuid,text,boolean) FROM PUBLIC, leave_ledger_app, leave_ledger_system, leave_ledger_definer;
GRANT EXECUTE ON FUNCTION app.lock_holiday_calendar(uuid,text,boolean) TO leave_ledger_definer;
