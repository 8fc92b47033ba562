import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_BODY_BYTES } from "../kernel/constants";
import type { AppEnv } from "../kernel/context";
import { AppError } from "../kernel/errors";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length !== "0");
}

/** Bodies are JSON only (415 otherwise). Checked before the size so a wrong type is named as such. */
export const requireJsonBody = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (METHODS_WITH_BODY.has(c.req.method) && hasBody(c.req.raw.headers)) {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be sent as application/json", {
        received: mediaType || null,
      });
    }
  }
  await next();
};

/** 413 for bodies over the limit, by Content-Length up front or by counting a streamed body. */
export const limitBodySize = (): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`, { limit_bytes: MAX_BODY_BYTES });
    },
  });
