import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACME } from "../../scripts/lib/seed-data";
import { dateIn, type PlainDate, toDayNumber } from "../../src/domain/calendar";
import {
  addDays,
  chargedDays,
  type EndPart,
  fromDayNumber,
  isoWeekday,
  isWorkingDay,
  MONDAY_TO_FRIDAY,
  parsePlainDate,
  type StartPart,
  totalCharge,
} from "../support/worker/calendar-oracle";
import { resetDatabase, superuserSql } from "../support/worker/harness";

const HONOLULU = "Pacific/Honolulu"; // UTC−10, no daylight saving
const KIRITIMATI = "Pacific/Kiritimati"; // UTC+14
const d = (value: string) => parsePlainDate(value)!;
const at = (iso: string) => Date.parse(iso);
const calendar = { workWeek: MONDAY_TO_FRIDAY, holidays: new Set(["2026-12-25", "2026-12-26"]) };
const PROPERTY_RUNS = { seed: 20261123, numRuns: 300 };

describe("plain dates", () => {
  it("accept real calendar dates only", () => {
    expect(parsePlainDate("2028-02-29")).toBe("2028-02-29");
    for (const bad of ["2026-02-29", "2026-13-01", "2026-11-31", "26-11-01", "2026-11-1", "2026-11-23T00:00:00Z", ""])
      expect(parsePlainDate(bad), bad).toBeNull();
  });

  it("know the weekday and step across months and years", () => {
    expect(isoWeekday(d("2026-11-23"))).toBe(1); // a Monday
    expect(isoWeekday(d("2026-11-29"))).toBe(7);
    expect(addDays(d("2026-12-31"), 1)).toBe("2027-01-01");
    expect(addDays(d("2028-03-01"), -1)).toBe("2028-02-29");
  });
});

describe("the employee's own calendar day, while UTC is on another day", () => {
  it("today", () => {
    const instant = at("2026-11-23T08:00:00Z"); // UTC: the 23rd
    expect(dateIn(HONOLULU, instant)).toBe("2026-11-22"); // 22:00 the day before
    expect(dateIn(KIRITIMATI, at("2026-11-23T11:00:00Z"))).toBe("2026-11-24"); // 01:00 the day after
  });

  it("a one-day request is one working day on the employee's date", () => {
    const honoluluToday = dateIn(HONOLULU, at("2026-11-24T06:00:00Z")); // UTC Tuesday, Honolulu Monday 20:00
    expect(honoluluToday).toBe("2026-11-23");
    expect(totalCharge(chargedDays(calendar, honoluluToday, honoluluToday)!)).toBe(1);
    const kiritimatiToday = dateIn(KIRITIMATI, at("2026-11-27T12:00:00Z")); // UTC Friday, Kiritimati Saturday 02:00
    expect(kiritimatiToday).toBe("2026-11-28");
    expect(totalCharge(chargedDays(calendar, kiritimatiToday, kiritimatiToday)!)).toBe(0); // a weekend day there
  });
});

describe("charged days", () => {
  it("skip weekends and holidays", () => {
    const days = chargedDays(calendar, d("2026-12-21"), d("2027-01-01"))!; // Mon 21 … Fri 1 Jan, 25 and 26 are holidays
    expect(days.map((x) => x.date)).toEqual([
      "2026-12-21",
      "2026-12-22",
      "2026-12-23",
      "2026-12-24",
      "2026-12-28",
      "2026-12-29",
      "2026-12-30",
      "2026-12-31",
      "2027-01-01",
    ]);
    expect(totalCharge(days)).toBe(9);
  });

  it("count half days at either end", () => {
    expect(chargedDays(calendar, d("2026-11-23"), d("2026-11-23"), "morning", "midday")).toEqual([
      { date: "2026-11-23", amount: 0.5, half: "morning" },
    ]);
    expect(chargedDays(calendar, d("2026-11-23"), d("2026-11-23"), "afternoon", "evening")).toEqual([
      { date: "2026-11-23", amount: 0.5, half: "afternoon" },
    ]);
    expect(totalCharge(chargedDays(calendar, d("2026-11-23"), d("2026-11-25"), "afternoon", "midday")!)).toBe(2);
    expect(chargedDays(calendar, d("2026-11-23"), d("2026-11-23"), "afternoon", "midday")).toBeNull();
    expect(chargedDays(calendar, d("2026-11-24"), d("2026-11-23"))).toBeNull();
  });
});

describe("properties (fast-check, fixed seed)", () => {
  const dayNumber = fc.integer({ min: toDayNumber(d("2020-01-01")), max: toDayNumber(d("2035-12-31")) });
  const range = fc
    .tuple(dayNumber, fc.integer({ min: 0, max: 400 }))
    .map(([start, length]) => [fromDayNumber(start), fromDayNumber(start + length)] as const);

  it("a range costs what its two halves cost, split at any day", () => {
    fc.assert(
      fc.property(range, fc.nat(), ([start, end], cut) => {
        const length = toDayNumber(end) - toDayNumber(start);
        if (length === 0) return;
        const mid = addDays(start, cut % length);
        const whole = totalCharge(chargedDays(calendar, start, end)!);
        const parts = totalCharge(chargedDays(calendar, start, mid)!) + totalCharge(chargedDays(calendar, addDays(mid, 1), end)!);
        expect(parts).toBe(whole);
      }),
      PROPERTY_RUNS,
    );
  });

  it("only working days are charged, in order, inside the range, never more than its calendar days", () => {
    fc.assert(
      fc.property(
        range,
        fc.constantFrom("morning", "afternoon"),
        fc.constantFrom("midday", "evening"),
        ([start, end], startPart, endPart) => {
          const days = chargedDays(calendar, start, end, startPart as "morning" | "afternoon", endPart as "midday" | "evening");
          if (days === null) return;
          const numbers = days.map((x) => toDayNumber(x.date));
          expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
          for (const day of days) {
            expect(isWorkingDay(calendar, day.date)).toBe(true);
            expect(toDayNumber(day.date)).toBeGreaterThanOrEqual(toDayNumber(start));
            expect(toDayNumber(day.date)).toBeLessThanOrEqual(toDayNumber(end));
          }
          expect(totalCharge(days)).toBeLessThanOrEqual(toDayNumber(end) - toDayNumber(start) + 1);
          expect(totalCharge(days) * 2).toBe(Math.round(totalCharge(days) * 2)); // whole or half days only
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it("an employee's date is never more than a day from UTC's, and day numbers round-trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at("2020-01-01T00:00:00Z"), max: at("2035-12-31T23:59:59Z") }),
        fc.constantFrom(HONOLULU, KIRITIMATI, "UTC", "Europe/Berlin", "Asia/Kathmandu"),
        (instant, zone) => {
          const local = dateIn(zone, instant);
          const utc = new Date(instant).toISOString().slice(0, 10) as PlainDate;
          expect(Math.abs(toDayNumber(local) - toDayNumber(utc))).toBeLessThanOrEqual(1);
          expect(fromDayNumber(toDayNumber(local))).toBe(local);
        },
      ),
      PROPERTY_RUNS,
    );
  });
});

describe("the database charges the same days (app.charged_half_days, used by submissions)", () => {
  const HOLIDAYS = ["2026-12-08", "2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01", "2027-01-06"];

  it("as chargedDays, for random ranges, parts and work weeks", async () => {
    await resetDatabase();
    const sql = superuserSql();
    for (const day of HOLIDAYS) await sql`insert into holidays (tenant_id, day, name) values (${ACME.id}, ${day}, 'holiday')`;
    // Another location's holidays are not the default calendar's.
    for (const day of ["2026-12-09", "2026-12-28"])
      await sql`insert into holidays (tenant_id, calendar, day, name) values (${ACME.id}, 'elsewhere', ${day}, 'theirs')`;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(50),
        fc.nat(20),
        fc.constantFrom<StartPart>("morning", "afternoon"),
        fc.constantFrom<EndPart>("midday", "evening"),
        fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
        async (offset, span, startPart, endPart, workWeek) => {
          const start = addDays(d("2026-12-01"), offset);
          const end = addDays(start, span);
          const charged = chargedDays({ workWeek: new Set(workWeek), holidays: new Set(HOLIDAYS) }, start, end, startPart, endPart) ?? [];
          const expected = charged.flatMap((c) => (c.half ? [`${c.date} ${c.half}`] : [`${c.date} morning`, `${c.date} afternoon`]));
          const rows =
            (await sql`select day::text || ' ' || half as half_day from app.charged_half_days(${ACME.id}, 'default', ${`{${workWeek.join(",")}}`}::smallint[], ${start}, ${end},
            ${startPart}::leave_start_part, ${endPart}::leave_end_part)`) as { half_day: string }[];
          expect(rows.map((r) => r.half_day)).toEqual(expected);
        },
      ),
      { seed: 20261124, numRuns: 150 },
    );
  });
});
