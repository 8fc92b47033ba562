export * from "./auth";
export * from "./claims";
export * from "./data-keys";
export * from "./identity";
export * from "./ledger";
export * from "./policies";
export * from "./integrations";
