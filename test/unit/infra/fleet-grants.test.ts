import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildIamResources } from "../../../infra/iam.ts";
import { STATE_GRANTS } from "../../../infra/state-grants.ts";
import { parseTargetsYaml } from "../../../lib/config/targets.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const config = parseTargetsYaml(
  readFileSync(join(root, "infra", "targets.yaml"), "utf8"),
  "infra/targets.yaml",
);

type Role = {
  Properties: { Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[] };
};
const under = (path: string) => ({ "Fn::Sub": `\${StateBucket.Arn}/${path}` });
const s3Statements = (resources: Record<string, unknown>, id: string) =>
  (resources[id] as Role).Properties.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) =>
    s.Action.some((a) => a.startsWith("s3:")),
  );

describe("fleet-scale state grants", () => {
  const { Resources } = buildIamResources({
    region: "eu-west-1",
    config,
    webhookSecretParameter: "/w",
    githubSecretParameters: ["/t"],
    stateGrants: STATE_GRANTS,
  });

  it("lets the worker read and write heads, the artifact cache and routing records (beside config/ and verdicts/)", () => {
    expect(s3Statements(Resources, "WorkerRole")).toEqual([
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }] },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [under("verdicts/*")] },
      {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [
          under("config/*"),
          under("heads/*"),
          under("cache/trees/*"),
          under("cache/renders/*"),
          under("routing/*"),
        ],
      },
    ]);
  });

  it("lets the webhook only read routing records (and the config), and the drift function only the config", () => {
    expect(s3Statements(Resources, "WebhookRole")).toEqual([
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }] },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [under("config/*"), under("routing/*")] },
    ]);
    expect(s3Statements(Resources, "DriftRole")).toEqual([
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [{ "Fn::GetAtt": ["StateBucket", "Arn"] }] },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [under("config/*")] },
    ]);
  });

  it("lets the worker queue a drift tick's checks on the job queue", () => {
    const statements = (Resources.WorkerRole as Role).Properties.Policies.flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: [{ "Fn::GetAtt": ["HealthQueue", "Arn"] }, { "Fn::GetAtt": ["JobsQueue", "Arn"] }],
    });
  });
});
