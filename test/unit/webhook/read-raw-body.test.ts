import { describe, expect, it } from "vitest";
import { DeliveryError } from "../../../lib/errors.ts";
import { readRawBody } from "../../../lib/webhook/read-raw-body.ts";

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeliveryError) return error.statusCode;
    throw error;
  }
  return undefined;
}

describe("readRawBody", () => {
  it("returns a plain body as is", () => {
    // Act
    const body = readRawBody({ body: '{"a":"é"}', isBase64Encoded: false }, 100);

    // Assess
    expect(body).toBe('{"a":"é"}');
  });

  it("decodes a base64 body to the exact UTF-8 text, keeping a byte-order mark", () => {
    // Prepare
    const text = '\uFEFF{"emoji":"🚀"}';

    // Act
    const body = readRawBody({ body: Buffer.from(text).toString("base64"), isBase64Encoded: true }, 100);

    // Assess
    expect(body).toBe(text);
  });

  it("treats a missing body as empty", () => {
    // Act
    const body = readRawBody({ body: undefined, isBase64Encoded: false }, 100);

    // Assess
    expect(body).toBe("");
  });

  it.each([
    ["a plain body over the limit in characters", { body: "x".repeat(101), isBase64Encoded: false }],
    ["a plain body over the limit in UTF-8 bytes", { body: "é".repeat(51), isBase64Encoded: false }],
    [
      "a base64 body over the limit",
      { body: Buffer.alloc(101, 1).toString("base64"), isBase64Encoded: true },
    ],
  ])("refuses %s with 413", (_name, request) => {
    // Act
    const status = statusOf(() => readRawBody(request, 100));

    // Assess
    expect(status).toBe(413);
  });

  it("accepts a body of exactly the limit", () => {
    // Act
    const status = statusOf(() =>
      readRawBody({ body: Buffer.alloc(100, 97).toString("base64"), isBase64Encoded: true }, 100),
    );

    // Assess
    expect(status).toBeUndefined();
  });

  it("refuses bytes that are not UTF-8 as unverifiable (401)", () => {
    // Act
    const status = statusOf(() =>
      readRawBody({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString("base64"), isBase64Encoded: true }, 100),
    );

    // Assess
    expect(status).toBe(401);
  });
});
