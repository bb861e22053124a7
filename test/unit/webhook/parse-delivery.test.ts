import { describe, expect, it } from "vitest";
import { normalizeHeaders } from "../../../lib/webhook/delivery-http.ts";
import { parsePayload, readDeliveryHeaders } from "../../../lib/webhook/parse-delivery.ts";

describe("readDeliveryHeaders", () => {
  it("reads the event and delivery id whatever the header case", () => {
    // Prepare
    const headers = normalizeHeaders({
      "X-GitHub-Event": "push",
      "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    });

    // Act
    const result = readDeliveryHeaders(headers);

    // Assess
    expect(result).toEqual({ event: "push", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
  });

  it.each([
    [{ "x-github-delivery": "d" }, "missing X-GitHub-Event header"],
    [{ "x-github-event": "push" }, "missing X-GitHub-Delivery header"],
    [{ "x-github-event": "Push!", "x-github-delivery": "d" }, "invalid X-GitHub-Event header"],
    [{ "x-github-event": "push", "x-github-delivery": "d d" }, "invalid X-GitHub-Delivery header"],
  ])("refuses %j with 400", (headers, message) => {
    // Act
    const attempt = () => readDeliveryHeaders(normalizeHeaders(headers));

    // Assess
    expect(attempt).toThrow(expect.objectContaining({ statusCode: 400, message }));
  });
});

describe("parsePayload", () => {
  it.each([
    ["application/json", '{"a":1}'],
    ["application/json; charset=utf-8", '{"a":1}'],
    [undefined, '{"a":1}'],
    ["application/x-www-form-urlencoded", `payload=${encodeURIComponent('{"a":1}')}`],
  ])("parses %s", (contentType, body) => {
    // Act
    const payload = parsePayload(body, contentType);

    // Assess
    expect(payload).toEqual({ a: 1 });
  });

  it.each([
    ["invalid JSON", "{", "application/json", "body is not valid JSON"],
    ["a JSON array", "[]", "application/json", "payload is not a JSON object"],
    [
      "a form without payload",
      "a=1",
      "application/x-www-form-urlencoded",
      "form body has no `payload` field",
    ],
    ["another content type", "<xml/>", "text/xml", 'unsupported content type "text/xml"'],
  ])("refuses %s with 400", (_name, body, contentType, message) => {
    // Act
    const attempt = () => parsePayload(body, contentType);

    // Assess
    expect(attempt).toThrow(expect.objectContaining({ statusCode: 400, message }));
  });
});
