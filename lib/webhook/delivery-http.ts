/**
 * The HTTP shape the webhook use case speaks: just what it needs from an API Gateway HTTP API
 * (v2) or Lambda Function URL event, and what it answers. Adapters translate; nothing here
 * depends on Lambda types.
 */

/** An incoming webhook request. Header names may be in any case. */
export type DeliveryRequest = {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  /** True when `body` is base64 (API Gateway / Function URLs do this for non-text content types). */
  readonly isBase64Encoded: boolean;
  /** Caller address, for logs only. */
  readonly sourceIp?: string | undefined;
};

/** The answer: status code and a small JSON body. */
export type DeliveryResponse = {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
};

/** Lower-cases header names once so lookups are case-insensitive (HTTP header names are). */
export function normalizeHeaders(
  headers: Readonly<Record<string, string | undefined>> | undefined,
): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) map.set(name.toLowerCase(), value);
  }
  return map;
}

/** A JSON response with the headers every webhook answer carries. */
export function jsonResponse(statusCode: number, body: Readonly<Record<string, unknown>>): DeliveryResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}
