/**
 * The layers of src/, lowest first, and what each may import (dependency-cruiser checks it in CI:
 * `npm run lint`). kernel ← db, durable, crypto ← auth ← domain ← features ← app; edge (the request pipeline's
 * middleware) and the scheduler sit beside the features. Features never reach into each other.
 */
const LAYERS = {
  kernel: [],
  db: ["kernel"],
  durable: ["kernel"],
  crypto: ["kernel"],
  auth: ["kernel", "db", "durable"],
  domain: ["kernel", "db", "auth", "crypto"],
  edge: ["kernel", "auth"],
  features: ["kernel", "db", "auth", "domain"],
  scheduler: ["kernel", "db", "crypto", "domain"],
};

const layerRule = ([layer, allowed]) => ({
  name: `${layer}-layer`,
  comment: `src/${layer} may import only ${[layer, ...allowed].map((l) => `src/${l}`).join(", ")}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: {
    path: "^src/",
    pathNot: `^src/(${[layer, ...allowed].join("|")})/`,
    // The kernel names the Durable Object's class in the Env bindings' types, nothing more.
    ...(layer === "kernel" ? { dependencyTypesNot: ["type-only"] } : {}),
  },
});

module.exports = {
  forbidden: [
    ...Object.entries(LAYERS).map(layerRule),
    {
      name: "kernel-types-only-from-durable",
      comment: "the kernel may only name types of src/durable (the Env bindings)",
      severity: "error",
      from: { path: "^src/kernel/" },
      to: { path: "^src/", pathNot: "^src/(kernel|durable)/" },
    },
    {
      name: "features-stay-apart",
      comment: "a feature uses src/domain for what it shares with another feature, never the other feature's files",
      severity: "error",
      from: { path: "^src/features/([^/]+)/" },
      to: { path: "^src/features/", pathNot: "^src/features/$1/" },
    },
    {
      name: "only-the-entry-composes",
      comment: "src/app.ts and src/index.ts compose the layers; nothing below imports them",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(app|index)\\.ts$" },
      to: { path: "^src/(app|index)\\.ts$" },
    },
    { name: "no-circular", severity: "error", from: { path: "^src/" }, to: { circular: true } },
    { name: "not-to-tests", severity: "error", from: { path: "^src/" }, to: { path: "^test/" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
