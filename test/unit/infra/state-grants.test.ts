import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildIamResources, statePrefixStatements } from "../../../infra/iam.ts";
import { parseTargetsYaml } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const config = parseTargetsYaml(
  readFileSync(join(root, "infra", "targets.yaml"), "utf8"),
  "infra/targets.yaml",
);

type Role = {
  Properties: { Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[] };
};
/** CloudFormation's `${StateBucket.Arn}/<path>`. */
const under = (path: string) => ({ "Fn::Sub": `\${StateBucket.Arn}/${path}` });
const statementsOf = (resources: Record<string, unknown>, id: string) =>
  (resources[id] as Role).Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);

describe("statePrefixStatements", () => {
  it("grants object actions only under each prefix, and the bucket listing that turns a missing key into a 404", () => {
    // Act
    const statements = statePrefixStatements([
      { prefix: "config/", access: "read" },
      { prefix: "verdicts/", access: "read-write" },
      { prefix: "cache/renders/", access: "read-write" },
    ]);

    // Assess
    expect(statements).toEqual([
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }] },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [under("config/*")] },
      {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [under("verdicts/*"), under("cache/renders/*")],
      },
    ]);
  });

  it("grants nothing for no prefixes", () => {
    expect(statePrefixStatements([])).toEqual([]);
  });

  it.each(["", "config", "/config/", "config/*", "*", "Config/", "a//", "../x/"])(
    "refuses the prefix %j, naming the field",
    (prefix) => {
      // Act
      const error = (() => {
        try {
          statePrefixStatements(
            [
              { prefix: "ok/", access: "read" },
              { prefix, access: "read" },
            ],
            "stateGrants.health",
          );
        } catch (e) {
          return e;
        }
        return undefined;
      })();

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error instanceof ConfigError && error.field).toBe("stateGrants.health[1].prefix");
    },
  );
});

describe("buildIamResources with state grants", () => {
  const base = {
    region: "eu-west-1",
    config,
    webhookSecretParameter: "/pullbridge/ci/webhook-secret",
    githubSecretParameters: ["/pullbridge/ci/github-token"],
  };

  it("gives the state bucket to no role unless granted", () => {
    // Act
    const { Resources } = buildIamResources(base);

    // Assess
    for (const id of Object.keys(Resources)) {
      const actions = statementsOf(Resources, id).flatMap((s) => s.Action);
      expect(
        actions.filter((a) => a.startsWith("s3:")),
        id,
      ).toEqual([]);
    }
  });

  it("adds a function's grant to its own role only", () => {
    // Act
    const { Resources } = buildIamResources({
      ...base,
      stateGrants: { health: [{ prefix: "verdicts/", access: "read-write" }] },
    });

    // Assess
    const s3Resources = (id: string) =>
      statementsOf(Resources, id)
        .filter((s) => s.Action.some((a) => a.startsWith("s3:")))
        .flatMap((s) => s.Resource);
    expect(s3Resources("HealthRole")).toEqual([
      { "Fn::GetAtt": ["StateBucket", "Arn"] },
      under("verdicts/*"),
    ]);
    for (const id of ["WebhookRole", "WorkerRole", "DriftRole", "ImagesIntakeRole", "ImagesRole"]) {
      expect(s3Resources(id), id).toEqual([]);
    }
  });
});
