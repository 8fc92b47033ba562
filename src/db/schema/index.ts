export * from "./auth";
export * from "./claims";
export * from "./data-keys";
export * from "./identity";
export * from "./integrations";
export * from "./ledger";
export * from "./policies";
