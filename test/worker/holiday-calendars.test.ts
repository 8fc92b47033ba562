/**
 * Per-location holiday calendars: a tenant has several, an employee follows one, and the working days a request
 * is charged for follow it. The test clock starts on Tuesday 2026-11-24.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { people } from "../support/worker/callers";
import { expectError, resetDatabase, resetEdgeState, superuserSql } from "../support/worker/harness";
import { bearer, ledgerWorld } from "../support/worker/ledger";

beforeEach(async () => {
  await Promise.all([resetDatabase(), resetEdgeState()]);
});

const { emma, eli } = people;
type World = Awaited<ReturnType<typeof ledgerWorld>>;

const addHoliday = (w: World, body: Record<string, unknown>, token = w.tokens.hana) => w.api.postJson("/v1/holidays", body, bearer(token));
const patchEmployee = (w: World, id: string, change: unknown, token = w.tokens.hana) =>
  w.api.send(`/v1/employees/${id}`, {
    method: "PATCH",
    headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify(change),
  });
const get = async <T>(w: World, path: string, token: string) => {
  const res = await w.api.send(path, { headers: bearer(token) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};

describe("holiday calendars", () => {
  it("charge each employee by the calendar they follow", async () => {
    const w = await ledgerWorld({ grant: 10 });
    expect((await addHoliday(w, { day: "2026-12-08", name: "Berlin day", calendar: "berlin" })).status).toBe(201);
    expect((await addHoliday(w, { day: "2026-12-09", name: "Company day" })).status).toBe(201);
    const patched = await patchEmployee(w, emma.employeeId, { holiday_calendar: "berlin" });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(((await patched.json()) as { holiday_calendar: string }).holiday_calendar).toBe("berlin");

    // Monday 7 to Friday 11 December: Emma is not charged for Berlin's day, Eli not for the default calendar's.
    const emmas = await w.submitted(w.tokens.emma, { start_date: "2026-12-07", end_date: "2026-12-11" });
    const elis = await w.submitted(w.tokens.eli, { start_date: "2026-12-07", end_date: "2026-12-11" });
    expect([emmas.days, elis.days]).toEqual([4, 4]);
    const booked = async (id: string) =>
      ((await superuserSql()`select distinct day::text from booked_days where request_id = ${id} order by 1`) as { day: string }[]).map(
        (r) => r.day,
      );
    expect(await booked(emmas.id)).not.toContain("2026-12-08");
    expect(await booked(emmas.id)).toContain("2026-12-09");
    expect(await booked(elis.id)).not.toContain("2026-12-09");
    expect(await booked(elis.id)).toContain("2026-12-08");

    // Simulations charge the same way.
    const sim = await w.api.postJson(
      "/v1/requests/simulations",
      { policy_key: w.policyKey, start_date: "2026-12-14", end_date: "2026-12-15" },
      bearer(w.tokens.emma),
    );
    expect(((await sim.json()) as { days: number }).days).toBe(2);
  });

  it("are listed per calendar, the caller's own by default; the same day may be a holiday of several", async () => {
    const w = await ledgerWorld();
    for (const body of [
      { day: "2026-12-08", name: "Berlin day", calendar: "berlin" },
      { day: "2026-12-08", name: "Company day" },
      { day: "2027-03-08", name: "Frauentag", calendar: "berlin" },
    ])
      expect((await addHoliday(w, body)).status).toBe(201);
    await expectError(await addHoliday(w, { day: "2026-12-08", name: "Again", calendar: "berlin" }), 409, "CONFLICT");
    expect((await patchEmployee(w, emma.employeeId, { holiday_calendar: "berlin" })).status).toBe(200);

    type List = { calendar: string; data: { day: string; calendar: string }[] };
    expect(await get<List>(w, "/v1/holidays?year=2026", w.tokens.emma)).toEqual({
      calendar: "berlin",
      data: [{ day: "2026-12-08", name: "Berlin day", calendar: "berlin" }],
    });
    expect((await get<List>(w, "/v1/holidays?year=2026", w.tokens.eli)).data).toEqual([
      { day: "2026-12-08", name: "Company day", calendar: "default" },
    ]);
    expect((await get<List>(w, "/v1/holidays?year=2027&calendar=berlin", w.tokens.eli)).data.map((h) => h.day)).toEqual(["2027-03-08"]);
    // HR without a calendar of their own? Hana follows default like everyone not moved.
    expect((await get<List>(w, "/v1/holidays?year=2026", w.tokens.hana)).calendar).toBe("default");

    const calendars = await get<{ data: { calendar: string; holidays: number; employees: number }[] }>(
      w,
      "/v1/holiday-calendars",
      w.tokens.hana,
    );
    expect(calendars.data.map((c) => [c.calendar, c.holidays])).toEqual([
      ["berlin", 2],
      ["default", 1],
    ]);
    expect(calendars.data[0]!.employees).toBe(1);

    // Removing names the calendar; the default calendar is assumed otherwise.
    await expectError(
      await w.api.send("/v1/holidays/2027-03-08", { method: "DELETE", headers: bearer(w.tokens.hana) }),
      404,
      "RESOURCE_NOT_FOUND",
    );
    const removed = await w.api.send("/v1/holidays/2027-03-08?calendar=berlin", { method: "DELETE", headers: bearer(w.tokens.hana) });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ day: "2027-03-08", name: "Frauentag", calendar: "berlin", corrections: [] });
    const [audit] = (await superuserSql()`select details from audit_log where action = 'holiday.remove'`) as [
      { details: { calendar: string } },
    ];
    expect(audit.details).toMatchObject({ calendar: "berlin" });
  });

  it("are HR's to manage: nobody moves themselves, employees add nothing, bad keys are a 400 and change nothing", async () => {
    const w = await ledgerWorld();
    await expectError(await patchEmployee(w, people.hana.employeeId, { holiday_calendar: "berlin" }), 403, "FORBIDDEN");
    await expectError(await patchEmployee(w, eli.employeeId, { holiday_calendar: "berlin" }, w.tokens.emma), 403, "FORBIDDEN");
    await expectError(await addHoliday(w, { day: "2026-12-08", name: "Mine", calendar: "berlin" }, w.tokens.emma), 403, "FORBIDDEN");
    for (const bad of ["Berlin", "b", "berlin!", "x".repeat(64), "", 7]) {
      const refused = await expectError(await addHoliday(w, { day: "2026-12-08", name: "Bad", calendar: bad }), 400, "VALIDATION_FAILED");
      expect(refused.details.issues, String(bad)).toEqual([expect.objectContaining({ path: "calendar" })]);
      await expectError(await patchEmployee(w, eli.employeeId, { holiday_calendar: bad }), 400, "VALIDATION_FAILED");
    }
    await expectError(
      await w.api.send("/v1/holidays?year=2026&calendar=Nope", { headers: bearer(w.tokens.eli) }),
      400,
      "VALIDATION_FAILED",
    );
    const [counts] = (await superuserSql()`select (select count(*)::int from holidays) as holidays,
      (select count(*)::int from employees where holiday_calendar <> 'default') as moved`) as [{ holidays: number; moved: number }];
    expect(counts).toEqual({ holidays: 0, moved: 0 });
  });
});
