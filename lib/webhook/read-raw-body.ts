/**
 * The exact bytes GitHub signed, as the UTF-8 string the signature check needs. The size limit
 * is enforced first, before decoding or hashing anything, so an oversized body costs nothing.
 */
import { Buffer } from "node:buffer";
import { DeliveryError } from "../errors.ts";
import type { DeliveryRequest } from "./delivery-http.ts";

/** Default body limit: GitHub push payloads for normal pushes are far below 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

// `fatal` rejects malformed UTF-8 instead of replacing it (which would change the signed bytes);
// `ignoreBOM` keeps a leading BOM for the same reason.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Upper bound of the decoded size of a base64 string, without decoding it. */
function base64DecodedLength(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

/**
 * Returns the raw body text. Throws DeliveryError 413 over `maxBytes`, and 401 when the bytes are
 * not UTF-8: GitHub only signs UTF-8 JSON, so such a body cannot carry a valid signature we could
 * check, and saying more would tell an unauthenticated caller something for free.
 */
export function readRawBody(
  request: Pick<DeliveryRequest, "body" | "isBase64Encoded">,
  maxBytes: number,
): string {
  const body = request.body ?? "";
  if (!request.isBase64Encoded) {
    // A UTF-8 byte is at most one UTF-16 unit, so length is a free lower bound of the byte size.
    if (body.length > maxBytes || Buffer.byteLength(body, "utf8") > maxBytes) {
      throw new DeliveryError(413, `body exceeds ${maxBytes} bytes`);
    }
    return body;
  }
  if (base64DecodedLength(body) > maxBytes + 3) {
    throw new DeliveryError(413, `body exceeds ${maxBytes} bytes`);
  }
  const bytes = Buffer.from(body, "base64");
  if (bytes.byteLength > maxBytes) throw new DeliveryError(413, `body exceeds ${maxBytes} bytes`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DeliveryError(401, "signature does not match");
  }
}
