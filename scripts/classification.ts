/**
 * Writes the column classification table of docs/data-protection.md from src/db/schema/classification.ts
 * (`npm run docs:classification`); test/node/classification.test.ts fails when the two differ.
 */
import { readFile, writeFile } from "node:fs/promises";
import { CLASSIFICATION_DOC, withClassification } from "./lib/classification-doc";

const doc = await readFile(CLASSIFICATION_DOC, "utf8");
await writeFile(CLASSIFICATION_DOC, withClassification(doc));
console.log(`wrote the classification table into ${CLASSIFICATION_DOC}`);
