import { describe, expect, it } from "vitest";
import { describeError, REDACTED, redact, redactUrl } from "../../src/kernel/logger";

describe("log redaction", () => {
  it("replaces values under sensitive keys at any depth", () => {
    const input = {
      authorization: "Bearer abc",
      headers: { Cookie: "s=1", "x-api-key": "k", accept: "json" },
      nested: [{ refresh_token: "r", password: "p", pin: "1234", PIN_PEPPER: "pp", note: "fine" }],
      session_id: "sid",
      SENTRY_DSN: "https://k@h/1",
    };
    expect(redact(input)).toEqual({
      authorization: REDACTED,
      headers: { Cookie: REDACTED, "x-api-key": REDACTED, accept: "json" },
      nested: [{ refresh_token: REDACTED, password: REDACTED, pin: REDACTED, PIN_PEPPER: REDACTED, note: "fine" }],
      session_id: REDACTED,
      SENTRY_DSN: REDACTED,
    });
  });

  it("keeps keys that merely contain the letters of a sensitive word", () => {
    expect(redact({ shipping: "x", spinner: "y", pinned: true, opinion: "z" })).toEqual({
      shipping: "x",
      spinner: "y",
      pinned: true,
      opinion: "z",
    });
  });

  it("redacts sensitive query parameters and keeps the rest", () => {
    expect(redactUrl(new URL("https://x.test/v1/a?access_token=t1&page=2&api_key=k&sort=asc"))).toBe(
      `/v1/a?access_token=${encodeURIComponent(REDACTED)}&page=2&api_key=${encodeURIComponent(REDACTED)}&sort=asc`,
    );
    expect(redactUrl(new URL("https://x.test/v1/a"))).toBe("/v1/a");
  });

  it("describes errors with their code and cause (Error objects serialise to {})", () => {
    const error = Object.assign(new Error("outer", { cause: new TypeError("inner") }), { code: "23505" });
    expect(describeError(error)).toEqual({
      name: "Error",
      message: "outer",
      code: "23505",
      cause: { name: "TypeError", message: "inner" },
    });
  });
});
