import { z } from "@hono/zod-openapi";
import { fromBase64Url, toBase64Url } from "./bytes";
import { AppError } from "./errors";

/** Offset pagination for small admin lists (`?offset=&limit=` → `{ data, total, offset, limit }`). */
export const OffsetQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0).openapi({ description: "How many items to skip", example: 0 }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ description: "How many items to return (at most 100)", example: 20 }),
});

/**
 * Cursor pagination (`?cursor=&limit=` → `{ data, pagination: { next_cursor, has_more } }`). A cursor is the
 * sort key of the last row of a page, opaque to clients (base64url JSON); pages are read with limit + 1 rows
 * to learn whether more follow.
 */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
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

export function encodeCursor(key: CursorKey): string {
  return toBase64Url(JSON.stringify(key));
}

/** The key a cursor carries, checked against the shape the route expects (one check per position). */
export function decodeCursor<T extends CursorKey>(cursor: string, shape: { [K in keyof T]: (v: unknown) => v is T[K] }): T {
  let key: unknown;
  try {
    key = JSON.parse(new TextDecoder().decode(fromBase64Url(cursor) ?? new Uint8Array()));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || !shape.every((isValid, i) => isValid(key[i]))) {
    throw new AppError("VALIDATION_FAILED", "The request does not match the schema", {
      issues: [{ path: "cursor", message: "not a cursor from this API", code: "custom" }],
    });
  }
  return key as T;
}

export const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
export const isDateText = (v: unknown): v is string => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v);
export const isTimestampText = (v: unknown): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v));

/** The page of `rows` (read with `limit + 1`) and its pagination block. */
export function pageOf<R>(rows: R[], limit: number, keyOf: (row: R) => CursorKey) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return { data, pagination: { next_cursor: hasMore ? encodeCursor(keyOf(data.at(-1)!)) : null, has_more: hasMore } };
}
