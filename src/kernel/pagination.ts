import { z } from "@hono/zod-openapi";
import { fromBase64Url, toBase64Url } from "./bytes";
import { AppError } from "./errors";

/**
 * A whole number in a query string, from decimal digits only: `0x10`, `1e3` or ` 7` are refused, not guessed.
 * Documented as an integer within [min, max].
 */
export const queryInteger = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );

/** Offset pagination for small admin lists (`?offset=&limit=` → `{ data, total, offset, limit }`). */
export const OffsetQuery = z.object({
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER).default(0).openapi({ description: "How many items to skip", example: 0 }),
  limit: queryInteger(1, 100).default(20).openapi({ description: "How many items to return (at most 100)", example: 20 }),
});

/**
 * Cursor pagination (`?cursor=&limit=` → `{ data, pagination: { next_cursor, has_more } }`). A cursor is the
 * sort key of the last row of a page, opaque to clients (base64url JSON); pages are read with limit + 1 rows
 * to learn whether more follow.
 */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const PageQuery = z.object({
  limit: queryInteger(1, MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Items per page (at most ${MAX_PAGE_SIZE})`, example: DEFAULT_PAGE_SIZE }),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "a cursor from a previous page")
    .optional()
    .openapi({ description: "`next_cursor` of the previous page; leave out for the first page" }),
});

export const Pagination = z.object({
  next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` to get the next page; null on the last page" }),
  has_more: z.boolean().openapi({ description: "Whether another page follows" }),
});

export type CursorKey = (string | number)[];

/** A cursor names its list (and sort), so a cursor of one list is refused by every other. */
function encodeCursor(list: string, key: CursorKey): string {
  return toBase64Url(JSON.stringify([list, ...key]));
}

/**
 * The key a cursor of `list` carries, checked against the shape the list expects (one check per position,
 * each a value the database takes back): anything else is 400, never a query.
 */
export function decodeCursor<T extends CursorKey>(list: string, cursor: string, shape: { [K in keyof T]: (v: unknown) => v is T[K] }): T {
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(fromBase64Url(cursor) ?? new Uint8Array()));
  } catch {
    decoded = undefined;
  }
  const [name, ...key] = Array.isArray(decoded) ? decoded : [];
  if (name !== list || key.length !== shape.length || !shape.every((isValid, i) => isValid(key[i]))) {
    throw new AppError("VALIDATION_FAILED", "The request does not match the schema", {
      issues: [{ path: "cursor", message: "not a cursor from this API", code: "custom" }],
    });
  }
  return key as T;
}

export const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
export const isUuid = (v: unknown): v is string =>
  typeof v === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);

/** The page of `rows` of `list` (read with `limit + 1`) and its pagination block. */
export function pageOf<R>(list: string, rows: R[], limit: number, keyOf: (row: R) => CursorKey) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { data, pagination: { next_cursor: hasMore ? encodeCursor(list, keyOf(data.at(-1)!)) : null, has_more: hasMore } };
}
