/**
 * One CSV line (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled; a field that a
 * spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is prefixed with `'`.
 */
export function csvLine(fields: string[]): string {
  return fields
    .map((field) => {
      const safe = /^[=+\-@\t\r]/.test(field) ? `'${field}` : field;
      return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
    })
    .join(",");
}

/** A value as a CSV cell: empty for null or missing, objects as JSON. */
export const csvCell = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);

/** Whether the client asked for CSV (`Accept: text/csv`) rather than JSON. */
export const wantsCsv = (accept: string | undefined) => /(^|,)\s*text\/csv\b/i.test(accept ?? "");
