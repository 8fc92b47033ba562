/**
 * `npm run lockfile:platforms` — run after `npm install` changes dependencies.
 *
 * The npm mirror these machines use has no macOS or Windows builds of workerd. npm then leaves those optional
 * platform packages out of package-lock.json, and `npm ci` refuses the lockfile as out of sync. This adds
 * the missing entries (version, os and cpu, no tarball), which `npm ci` skips on Linux and a machine on the
 * real registry resolves by version.
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

const LOCKFILE = resolve(import.meta.dirname, "../package-lock.json");
const PLATFORMS: Record<string, { os: string[]; cpu: string[] }> = {
  "@cloudflare/workerd-darwin-64": { os: ["darwin"], cpu: ["x64"] },
  "@cloudflare/workerd-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "@cloudflare/workerd-linux-64": { os: ["linux"], cpu: ["x64"] },
  "@cloudflare/workerd-linux-arm64": { os: ["linux"], cpu: ["arm64"] },
  "@cloudflare/workerd-windows-64": { os: ["win32"], cpu: ["x64"] },
};

interface Entry {
  version: string;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** Where Node would find `name` from a package installed at `from` (nearest node_modules upwards). */
function resolvable(packages: Record<string, Entry>, from: string, name: string, version: string): boolean {
  let dir = from;
  for (;;) {
    const candidate = `${dir}node_modules/${name}`;
    if (packages[candidate]?.version === version) return true;
    const parent = dir.replace(/node_modules\/(@[^/]+\/)?[^/]+\/$/, "");
    if (parent === dir) return false;
    dir = parent;
  }
}

const lock = JSON.parse(await readFile(LOCKFILE, "utf8")) as { packages: Record<string, Entry> };
const added: string[] = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.endsWith("node_modules/workerd")) continue;
  const owner = path.slice(0, -"node_modules/workerd".length);
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = PLATFORMS[name];
    if (!platform || resolvable(lock.packages, `${path}/`, name, version)) continue;
    lock.packages[`${owner}node_modules/${name}`] = {
      version,
      ...platform,
      dev: true,
      license: "Apache-2.0",
      optional: true,
      engines: { node: ">=16" },
    };
    added.push(`${owner}node_modules/${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
await writeFile(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries:\n  ${added.join("\n  ")}` : "lockfile already complete");
