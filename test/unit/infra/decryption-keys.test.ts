import { describe, expect, it } from "vitest";
import { buildIamResources } from "../../../infra/iam.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";

const KEY_A = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001";
const KEY_B = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000002";

const configWith = (keys?: Record<string, unknown>) =>
  parseTargetsConfig({
    version: 1,
    clusters: { prod: { type: "eks", name: "prod" } },
    targets: [
      {
        name: "team-a",
        repo: "acme/a",
        cluster: "prod",
        namespace: "a",
        ...(keys ? { decryption: { keys: Object.keys(keys) } } : {}),
      },
    ],
    ...(keys ? { keys } : {}),
  });

type Statement = { Action: string[]; Resource: unknown[] };
const statements = (resources: Record<string, unknown>, id: string): Statement[] =>
  (
    resources[id] as {
      Properties: { Policies: Array<{ PolicyDocument: { Statement: Statement[] } }> };
    }
  ).Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);

const build = (keys?: Record<string, unknown>) =>
  buildIamResources({
    region: "eu-west-1",
    config: configWith(keys),
    webhookSecretParameter: "/pullbridge/webhook",
    githubSecretParameters: ["/pullbridge/github"],
  }).Resources;

describe("IAM for SOPS keys", () => {
  it("lets the worker kms:Decrypt exactly the KMS keys the stack file lists, and no other role any", () => {
    // Act
    const resources = build({
      a: { type: "kms", arn: KEY_A },
      b: { type: "kms", arn: KEY_B },
    });

    // Assess
    const decrypt = statements(resources, "WorkerRole").filter((s) => s.Action.includes("kms:Decrypt"));
    expect(decrypt).toEqual([{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY_A, KEY_B] }]);
    for (const id of Object.keys(resources).filter((id) => id !== "WorkerRole")) {
      expect(JSON.stringify(statements(resources, id)), id).not.toContain("kms:");
    }
  });

  it("lets the worker read exactly the age private keys the stack file references", () => {
    // Act
    const resources = build({
      ssm: { type: "age", privateKey: "ssm:/pullbridge/age/team-a" },
      sm: { type: "age", privateKey: "secretsmanager:pullbridge/age-b" },
    });

    // Assess
    const worker = JSON.stringify(statements(resources, "WorkerRole"));
    expect(worker).toContain(":parameter/pullbridge/age/team-a");
    expect(worker).toContain(":secret:pullbridge/age-b-??????");
    expect(JSON.stringify(statements(resources, "HealthRole"))).not.toContain("pullbridge/age");
  });

  it("grants no decrypt right without keys", () => {
    // Act
    const resources = build();

    // Assess
    expect(JSON.stringify(resources)).not.toContain("kms:");
  });

  it("refuses a target naming a key the stack file does not list", () => {
    // Act
    const act = () =>
      parseTargetsConfig({
        version: 1,
        clusters: { prod: { type: "eks", name: "prod" } },
        targets: [
          { name: "t", repo: "acme/a", cluster: "prod", namespace: "a", decryption: { keys: ["nope"] } },
        ],
      });

    // Assess
    expect(act).toThrow(/targets\[0\]\.decryption\.keys\[0\].*unknown key "nope"/s);
  });
});
