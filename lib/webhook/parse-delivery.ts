/**
 * A verified body and its headers become a GitHub delivery. Only called after the signature
 * matched, so everything here is GitHub's own data; errors are 400s.
 */
import { DeliveryError } from "../errors.ts";

const EVENT_HEADER = "x-github-event";
const DELIVERY_HEADER = "x-github-delivery";

/** A verified GitHub delivery, payload still untyped (routing validates what it reads). */
export type GitHubDelivery = {
  /** `X-GitHub-Event`, e.g. `push`. */
  readonly event: string;
  /** `X-GitHub-Delivery`: unique per delivery, kept by GitHub's "Redeliver". */
  readonly deliveryId: string;
  readonly payload: unknown;
};

const EVENT_NAME = /^[a-z_]{1,64}$/;
// GitHub sends a GUID; the id ends up in the SQS dedup id, whose alphabet this stays inside.
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Reads the event and delivery headers; throws DeliveryError 400 when they are missing or odd. */
export function readDeliveryHeaders(headers: ReadonlyMap<string, string>): {
  event: string;
  deliveryId: string;
} {
  const event = headers.get(EVENT_HEADER)?.trim();
  const deliveryId = headers.get(DELIVERY_HEADER)?.trim();
  if (!event) throw new DeliveryError(400, "missing X-GitHub-Event header");
  if (!deliveryId) throw new DeliveryError(400, "missing X-GitHub-Delivery header");
  if (!EVENT_NAME.test(event)) throw new DeliveryError(400, "invalid X-GitHub-Event header");
  if (!DELIVERY_ID.test(deliveryId)) throw new DeliveryError(400, "invalid X-GitHub-Delivery header");
  return { event, deliveryId };
}

/**
 * Parses the payload. GitHub sends `application/json`, or `application/x-www-form-urlencoded`
 * with the JSON in a `payload` field when the hook is configured that way.
 */
export function parsePayload(body: string, contentType: string | undefined): unknown {
  const mediaType = (contentType ?? "application/json").split(";")[0]?.trim().toLowerCase();
  let json: string;
  if (mediaType === "application/x-www-form-urlencoded") {
    const field = new URLSearchParams(body).get("payload");
    if (field === null) throw new DeliveryError(400, "form body has no `payload` field");
    json = field;
  } else if (mediaType === "application/json" || mediaType?.endsWith("+json")) {
    json = body;
  } else {
    throw new DeliveryError(400, `unsupported content type ${JSON.stringify(mediaType)}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (error) {
    throw new DeliveryError(400, "body is not valid JSON", { cause: error });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new DeliveryError(400, "payload is not a JSON object");
  }
  return payload;
}
