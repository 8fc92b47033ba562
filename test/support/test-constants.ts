/** Fixed test configuration: long enough to pass validation, never used outside tests. */
export const TEST_PIN_PEPPER = "test-pin-pepper-0123456789abcdef0123456789";
export const TEST_ALLOWED_ORIGIN = "https://app.leave-ledger.test";
