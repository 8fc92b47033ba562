/** Writes the repeatable migrations generated from TypeScript (scripts/lib/generated-sql.ts). */
import { writeFile } from "node:fs/promises";
import { generatedSql } from "./lib/generated-sql";
import { MIGRATIONS_DIR } from "./lib/migrator";

for (const [file, content] of Object.entries(generatedSql())) {
  await writeFile(`${MIGRATIONS_DIR}/${file}`, content);
  console.log(`wrote migrations/${file}`);
}
