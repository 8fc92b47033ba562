export * from "./auth";
export * from "./claims";
export * from "./identity";
export * from "./ledger";
export * from "./policies";
