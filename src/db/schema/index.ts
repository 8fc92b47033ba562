export * from "./auth";
export * from "./identity";
