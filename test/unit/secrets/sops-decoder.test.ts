import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitPlainFile, nodeToJs } from "../../../lib/secrets/sops/emit-plain.ts";
import { formatGoFloat, resolvePlainYamlScalar } from "../../../lib/secrets/sops/go-values.ts";
import { decryptTree, SopsValueError } from "../../../lib/secrets/sops/sops-cipher.ts";
import { parseSopsFile } from "../../../lib/secrets/sops/sops-document.ts";
import { SopsFormatError } from "../../../lib/secrets/sops/sops-tree.ts";
import { expectedPlaintext, fixtureDataKey, SOPS_FIXTURES, sopsFixture } from "../../factories/sops.ts";

const upstream = join(SOPS_FIXTURES, "upstream");
const upstreamKeys = JSON.parse(readFileSync(join(upstream, "data-keys.json"), "utf8")) as {
  keys: Record<string, string>;
};

/** Decrypts a fixture text with its data key; the document's tree as JSON. */
function open(name: string, text: string, dataKey: Uint8Array) {
  const document = parseSopsFile(name, text);
  if (!document) throw new Error(`${name} is not SOPS`);
  return { document, tree: decryptTree(document.branches, document.metadata, dataKey) };
}

describe("SOPS decoder against SOPS's own test vectors", () => {
  it.each(Object.keys(upstreamKeys.keys))(
    "%s: the MAC verifies and the values are what sops decrypts",
    (name) => {
      // Prepare
      const text = readFileSync(join(upstream, name), "utf8");
      const dataKey = Buffer.from(upstreamKeys.keys[name] ?? "", "hex");
      const expected = JSON.parse(readFileSync(join(upstream, `${name}.decrypted.json`), "utf8"));

      // Act
      const { tree } = open(name, text, dataKey);

      // Assess
      expect(tree.macMatches).toBe(true);
      expect(nodeToJs(tree.branches[0] ?? { kind: "map", entries: [] })).toEqual(expected);
    },
  );
});

describe("SOPS decoder against files the real sops binary encrypted", () => {
  const fixtures = Object.keys(
    (JSON.parse(sopsFixture("expected.json")) as { files: Record<string, unknown> }).files,
  ).filter((name) => !name.endsWith(".key"));

  it.each(fixtures)("%s: the MAC verifies and the values are what sops decrypts", async (name) => {
    // Prepare
    const text = sopsFixture(name);

    // Act
    const { tree } = open(name, text, await fixtureDataKey(text, name));

    // Assess
    expect(tree.macMatches).toBe(true);
    expect(nodeToJs(tree.branches[0] ?? { kind: "map", entries: [] })).toEqual(expectedPlaintext(name));
  });

  it("keeps integer-like JSON keys in file order (a JavaScript object would move them first and break the MAC)", async () => {
    // Prepare
    const text = sopsFixture("ordering.enc.json");
    const document = parseSopsFile("ordering.enc.json", text);

    // Act
    const keys = document?.branches[0]?.entries.map((e) => e.key);

    // Assess
    expect(keys).toEqual(["zeta", "10", "2", "nested", "list"]);
    expect(open("ordering.enc.json", text, await fixtureDataKey(text, "o.json")).tree.macMatches).toBe(true);
  });

  it("decrypts a binary file to its exact bytes", async () => {
    // Prepare
    const text = sopsFixture("tls.enc.key");

    // Act
    const { document, tree } = open("tls.enc.key", text, await fixtureDataKey(text, "tls.enc.key"));

    // Assess
    expect(tree.macMatches).toBe(true);
    expect(Buffer.from(emitPlainFile(document.format, tree.branches)).toString("utf8")).toBe(
      readFileSync(join(SOPS_FIXTURES, "plain", "tls.key"), "utf8"),
    );
  });

  it("writes a decrypted dotenv file back as KEY=value lines", async () => {
    // Prepare
    const text = sopsFixture("app.enc.env");

    // Act
    const { document, tree } = open("app.enc.env", text, await fixtureDataKey(text, "app.enc.env"));

    // Assess
    expect(Buffer.from(emitPlainFile(document.format, tree.branches)).toString("utf8")).toBe(
      readFileSync(join(SOPS_FIXTURES, "plain", "app.env"), "utf8"),
    );
  });
});

describe("SOPS decoder refuses a file changed after it was encrypted", () => {
  it("reports a MAC mismatch when an unencrypted value was edited", async () => {
    // Prepare
    const text = sopsFixture("secret.enc.yaml");
    const tampered = text.replace("app: web", "app: evil");

    // Act
    const { tree } = open("secret.enc.yaml", tampered, await fixtureDataKey(text));

    // Assess
    expect(tampered).not.toBe(text);
    expect(tree.macMatches).toBe(false);
  });

  it("reports a MAC mismatch when keys were reordered", async () => {
    // Prepare
    const text = sopsFixture("configmap.enc.yaml");
    const lines = text.split("\n");
    const endpoint = lines.findIndex((l) => l.trimStart().startsWith("endpoint:"));
    const apiKey = lines.findIndex((l) => l.trimStart().startsWith("apiKey:"));
    [lines[endpoint], lines[apiKey]] = [lines[apiKey] ?? "", lines[endpoint] ?? ""];

    // Act
    const { tree } = open("configmap.enc.yaml", lines.join("\n"), await fixtureDataKey(text));

    // Assess
    expect(tree.macMatches).toBe(false);
  });

  it("refuses an encrypted value moved to another key (its key path is authenticated)", async () => {
    // Prepare
    const text = sopsFixture("secret.enc.yaml");
    const username = /username: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? "";
    const password = /password: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? "";
    const swapped = text.replace(username, "@@").replace(password, username).replace("@@", password);

    // Act
    const act = async () => open("secret.enc.yaml", swapped, await fixtureDataKey(text));

    // Assess
    await expect(act()).rejects.toThrow(SopsValueError);
    await expect(act()).rejects.toThrow("stringData.username");
  });

  it("refuses a file without a MAC", async () => {
    // Prepare
    const text = sopsFixture("secret.enc.yaml");
    const withoutMac = text.replace(/^ {4}mac: .*\n/m, "");

    // Act
    const act = async () => open("secret.enc.yaml", withoutMac, await fixtureDataKey(text));

    // Assess
    await expect(act()).rejects.toThrow(SopsFormatError);
  });

  it("recognises files that are not SOPS-encrypted and leaves them alone", () => {
    // Prepare
    const text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  mac: x\n  lastmodified: y\n";

    // Act
    const document = parseSopsFile("plain.yaml", text);

    // Assess
    expect(document).toBeUndefined();
  });
});

describe("Go value formatting for the MAC", () => {
  it.each([
    [1e21, "1000000000000000000000"],
    [0.000001, "0.000001"],
    [1.5e-7, "0.00000015"],
    [2, "2"],
    [-0.5, "-0.5"],
    [Number.POSITIVE_INFINITY, "+Inf"],
  ])("formats %s as strconv.FormatFloat(v, 'f', -1, 64) does: %s", (value, text) => {
    // Act
    const formatted = formatGoFloat(value);

    // Assess
    expect(formatted).toBe(text);
  });

  it.each([
    ["010", { type: "int", value: 8n }],
    ["0x1F", { type: "int", value: 31n }],
    ["1_000", { type: "int", value: 1000n }],
    ["1.50", { type: "float", value: 1.5 }],
    ["yes", { type: "str", value: "yes" }],
    ["2024-01-02", { type: "str", value: "2024-01-02" }],
    ["~", { type: "null" }],
    ["True", { type: "bool", value: true }],
  ])("resolves the plain scalar %s as yaml.v3 does", (text, expected) => {
    // Act
    const resolved = resolvePlainYamlScalar(text);

    // Assess
    expect(resolved).toEqual(expected);
  });
});
