export * from "./auth";
export * from "./identity";
export * from "./policies";
export * from "./ledger";
