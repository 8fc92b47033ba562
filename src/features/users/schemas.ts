import { z } from "@hono/zod-openapi";

/** A time zone the runtime knows (IANA name), so dates can be computed in it. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "an IANA time zone such as Europe/Berlin");

/** ISO weekdays worked (1 = Monday … 7 = Sunday), each once, at least one. */
export const WorkWeek = z
  .array(z.number().int().min(1).max(7))
  .min(1)
  .max(7)
  .refine((days) => new Set(days).size === days.length, "each weekday once")
  .openapi({ example: [1, 2, 3, 4, 5] });
