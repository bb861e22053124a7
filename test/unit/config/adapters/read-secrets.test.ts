import { describe, expect, it } from "vitest";
import {
  parseSecretRef,
  readSecretList,
  type SecretReader,
  splitSecretList,
} from "../../../../lib/config/adapters/read-secrets.ts";
import { ConfigError } from "../../../../lib/errors.ts";

describe("parseSecretRef", () => {
  it.each([
    ["ssm:/pullbridge/webhook", { store: "ssm", name: "/pullbridge/webhook" }],
    ["/pullbridge/webhook", { store: "ssm", name: "/pullbridge/webhook" }],
    ["secretsmanager:pullbridge/webhook", { store: "secretsmanager", name: "pullbridge/webhook" }],
    [
      "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:pb-AbCdEf",
      { store: "secretsmanager", name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pb-AbCdEf" },
    ],
  ])("parses %s", (ref, expected) => {
    // Act
    const parsed = parseSecretRef(ref);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it("refuses other stores with a ConfigError naming the field", () => {
    // Act
    const attempt = () => parseSecretRef("vault:kv/webhook", "WEBHOOK");

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^WEBHOOK: must be/);
  });
});

describe("splitSecretList", () => {
  it.each([
    ["one plain secret", "s3cret", ["s3cret"]],
    ["trims whitespace around it", "  s3cret\n", ["s3cret"]],
    ["a JSON array", '["new","old"]', ["new", "old"]],
    ["a JSON object's string values", '{"current":"new","previous":"old","rotatedAt":1}', ["new", "old"]],
    ["drops empty entries", '["new",""]', ["new"]],
    ["keeps text that only looks like JSON", "{not-json", ["{not-json"]],
    ["nothing for an empty value", "", []],
  ])("%s", (_name, value, expected) => {
    // Act
    const secrets = splitSecretList(value);

    // Assess
    expect(secrets).toEqual(expected);
  });
});

describe("readSecretList", () => {
  const reader = (values: Record<string, string>): SecretReader => ({
    read: async (ref) => {
      const value = values[ref];
      if (value === undefined) throw new ConfigError(ref, "secret not found");
      return value;
    },
  });

  it("unions the secrets of every reference, in order, without duplicates", async () => {
    // Act
    const secrets = await readSecretList(reader({ "/a": '["new","old"]', "/b": "old" }), ["/a", "/b"]);

    // Assess
    expect(secrets).toEqual(["new", "old"]);
  });

  it("fails when no secret is configured at all", async () => {
    // Act
    const attempt = readSecretList(reader({ "/a": "[]" }), ["/a"]);

    // Assess
    await expect(attempt).rejects.toThrow("/a: no secret configured");
  });
});
