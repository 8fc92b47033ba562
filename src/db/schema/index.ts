export * from "./auth";
export * from "./identity";
export * from "./ledger";
export * from "./policies";
