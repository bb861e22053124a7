/**
 * The generated reference pages are what the generator makes of today's code: the targets file's
 * JSON Schema and field reference from its zod schema, the CLI reference from the commands' own
 * `--help`. A stale committed copy fails here; `npm run docs:generate` rewrites it.
 */
import { readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  commandsInHelp,
  GENERATED,
  generatedDocs,
  targetsJsonSchema,
} from "../../../docs/tools/generate-reference.ts";

const ROOT = new URL("../../../", import.meta.url);

async function read(path: string): Promise<string> {
  return await readFile(new URL(path, ROOT), "utf8");
}

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(targetsJsonSchema());
}

describe("generated reference pages", () => {
  it("are committed exactly as the generator makes them (run `npm run docs:generate` after a change)", async () => {
    // Act
    const expected = await generatedDocs();

    // Assess
    expect(Object.keys(expected).sort()).toEqual(Object.values(GENERATED).sort());
    for (const [path, content] of Object.entries(expected)) {
      expect(await read(path), `${path} is stale: run npm run docs:generate`).toBe(content);
    }
  }, 120_000);
});

describe("the targets file's JSON Schema", () => {
  it.each(["infra/targets.yaml", "test/fixtures/render/repo/targets.yaml"])(
    "accepts %s, which the targets parser accepts",
    async (path) => {
      // Prepare
      const validate = schemaValidator();

      // Act
      const valid = validate(parse(await read(path)));

      // Assess
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  it("refuses a misspelt field and a wrong type, as an editor would underline them", () => {
    // Prepare
    const validate = schemaValidator();
    const file = {
      version: 1,
      clusters: { prod: { type: "eks", name: "prod" } },
      targets: [
        { name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web", prunne: true, drift: "fix" },
      ],
    };

    // Act
    const valid = validate(file);

    // Assess
    expect(valid).toBe(false);
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(problems).toContain("/targets/0 must NOT have additional properties");
    expect(problems).toContain("/targets/0/drift must be equal to one of the allowed values");
  });

  it("describes every field of a target", () => {
    // Act
    const target = (targetsJsonSchema().properties?.targets?.items ?? {}) as {
      properties?: Record<string, { description?: string }>;
    };

    // Assess
    const undescribed = Object.entries(target.properties ?? {})
      .filter(([, field]) => !field.description)
      .map(([name]) => name);
    expect(undescribed).toEqual([]);
  });
});

describe("commands in the CLI's help", () => {
  it("are read from its usage lines, subcommands included", () => {
    // Prepare
    const help = [
      "Usage:",
      "  pullbridge diff <dir> [options]         plan <dir>",
      "  pullbridge targets validate [file]      check a targets file",
      "  pullbridge images plan [dir] (--event <file> | --image <repo:tag>)",
      "                                          what a pushed image would change (pullbridge sync)",
      "Examples:",
      "  pullbridge diff deploy/ -n apps --target web",
    ].join("\n");

    // Act
    const commands = commandsInHelp(help);

    // Assess
    expect(commands).toEqual(["diff", "targets validate", "images plan"]);
  });
});
