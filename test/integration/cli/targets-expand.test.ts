/**
 * `pullbridge targets expand`, run as a user runs it (a real process): a platform repository
 * checkout with a fleet generator over a local checkout of the app repository prints every target
 * with the generator and source behind it; a broken config prints each problem at file:line.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { pullbridge } from "../../support/cli-process.ts";

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

const STACK = [
  "version: 1",
  "clusters:",
  "  prod: { type: eks, name: prod }",
  "projects:",
  "  apps: { repositories: [acme/apps], clusters: [prod], namespaces: ['team-*'] }",
  "configRepository: { repo: acme/platform, path: pullbridge }",
  "",
].join("\n");

const FLEET = [
  "version: 1",
  "generators:",
  "  - name: apps",
  "    directories: { repo: acme/apps, glob: 'apps/*/overlays/prod' }",
  "    template:",
  '      name: "{{path[1]}}-prod"',
  "      project: apps",
  "      repo: acme/apps",
  '      path: "{{path}}"',
  "      cluster: prod",
  '      namespace: "team-{{path[1]}}"',
  "",
].join("\n");

describe("pullbridge targets expand", () => {
  it("prints every generated target with the generator and source behind it", async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), "pullbridge-expand-"));
    await writeFiles(root, {
      "platform/infra/targets.yaml": STACK,
      "platform/pullbridge/fleet.yaml": FLEET,
      "apps/apps/web/overlays/prod/kustomization.yaml": "resources: []\n",
      "apps/apps/api/overlays/prod/kustomization.yaml": "resources: []\n",
      "apps/apps/api/overlays/dev/kustomization.yaml": "resources: []\n",
    });

    // Act
    const run = await pullbridge(["targets", "expand", "pullbridge", "--source", "acme/apps=../apps"], {
      cwd: join(root, "platform"),
    });
    const json = await pullbridge(
      ["targets", "expand", "pullbridge", "--source", "acme/apps=../apps", "-o", "json"],
      {
        cwd: join(root, "platform"),
      },
    );

    // Assess
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "2 target(s)",
        "",
        "TARGET    PROJECT  CLUSTER  NAMESPACE  SOURCE                                 DEFINED BY",
        "api-prod  apps     prod     team-api   acme/apps@main:apps/api/overlays/prod  generator apps (apps/api/overlays/prod) in pullbridge/fleet.yaml:3",
        "web-prod  apps     prod     team-web   acme/apps@main:apps/web/overlays/prod  generator apps (apps/web/overlays/prod) in pullbridge/fleet.yaml:3",
        "",
      ].join("\n"),
    );
    const parsed = JSON.parse(json.stdout) as {
      valid: boolean;
      targets: { target: { inventoryName: string } }[];
    };
    expect(parsed.valid).toBe(true);
    expect(parsed.targets[0]?.target.inventoryName).toMatch(/^pullbridge-apps-[0-9a-f]{10}$/);
  });

  it("prints each problem at file:line and exits 1, naming the missing checkout", async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), "pullbridge-expand-"));
    await writeFiles(root, {
      "infra/targets.yaml": STACK,
      "pullbridge/fleet.yaml": FLEET.replace('namespace: "team-{{path[1]}}"', "namespace: kube-system"),
      "pullbridge/web.yaml":
        "version: 1\ntargets:\n  - { name: web, project: ops, repo: acme/apps, cluster: prod, namespace: team-web }\n",
    });

    // Act
    const run = await pullbridge(["targets", "expand", "pullbridge"], { cwd: root });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "pullbridge/fleet.yaml:4:5: directories: cannot list acme/apps@main: no checkout given: pass --source acme/apps=<directory> (its main branch)",
        'pullbridge/web.yaml:3:18: targets[0].project: unknown project "ops" (known: apps)',
        "",
      ].join("\n"),
    );
  });
});
