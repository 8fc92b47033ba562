import { readFile } from "node:fs/promises";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { CLASSIFICATION_DOC, classifiedColumns, withClassification } from "../../scripts/lib/classification-doc";
import { CLASSIFICATION } from "../../src/db/schema/classification";
import * as schema from "../../src/db/schema/index";

const tables: PgTable[] = (Object.values(schema) as unknown[]).filter((value): value is PgTable => value instanceof PgTable);

describe("the data classification", () => {
  it("classifies every table of the schema exactly once", () => {
    const classified = CLASSIFICATION.map(({ table }) => getTableConfig(table).name);
    expect(new Set(classified).size, "a table is classified twice").toBe(classified.length);
    expect([...classified].sort()).toEqual(tables.map((t) => getTableConfig(t).name).sort());
  });

  it("gives every column of every table one class", () => {
    for (const { table, columns } of classifiedColumns()) {
      const schemaTable = tables.find((t) => getTableConfig(t).name === table)!;
      const expected = getTableConfig(schemaTable).columns.map((c) => c.name);
      expect(Object.values(columns).flat().sort(), table).toEqual([...expected].sort());
    }
  });

  it("puts reasons, comments, notes and credentials under confidential", () => {
    const confidential = classifiedColumns().flatMap(({ table, columns }) => columns.confidential!.map((c) => `${table}.${c}`));
    expect(confidential).toEqual(
      expect.arrayContaining([
        "leave_requests.reason",
        "approvals.comment",
        "ledger_entries.note",
        "credentials.password_hash",
        "credentials.pin_hash",
        "idempotency_keys.response_body",
      ]),
    );
  });

  it(`is shown as it is declared in ${CLASSIFICATION_DOC} (npm run docs:classification)`, async () => {
    const doc = await readFile(CLASSIFICATION_DOC, "utf8");
    expect(doc).toBe(withClassification(doc));
  });
});
