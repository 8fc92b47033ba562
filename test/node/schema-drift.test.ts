import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const PROJECT = resolve(import.meta.dirname, "../..");
let scratch: string | undefined;
afterAll(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));

it("the drizzle schema and the committed migrations agree (drizzle-kit generates nothing new)", async () => {
  // drizzle-kit wants an output path inside the project; .data/ is git-ignored.
  await mkdir(join(PROJECT, ".data"), { recursive: true });
  scratch = await mkdtemp(join(PROJECT, ".data", "drift-"));
  const out = join(scratch, "migrations");
  await cp(join(PROJECT, "migrations"), out, { recursive: true });
  const before = (await readdir(out)).sort();
  const output = execFileSync(
    join(PROJECT, "node_modules/.bin/drizzle-kit"),
    ["generate", "--dialect", "postgresql", "--schema", "./src/db/schema/index.ts", "--out", `./${relative(PROJECT, out)}`],
    { cwd: PROJECT, encoding: "utf8" },
  );
  expect((await readdir(out)).sort(), `drizzle-kit wrote a migration: run npm run db:generate\n${output}`).toEqual(before);
  expect(output).toContain("No schema changes");
});
