/**
 * SOPS-encrypted render inputs, end to end with the real renderer helper: a Kustomize overlay
 * whose `secretGenerator` reads an encrypted env file and whose resources include an encrypted
 * Secret (its labels changed by the overlay, which is why the MAC is checked on the file as
 * committed), and a Helm chart with an encrypted values file. The helper reads the plaintext from
 * its stdin and holds the chart in memory: it renders with no writable temporary directory at all.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadTargetObjects } from "../../../lib/app/load-target-objects.ts";
import { createKeyRing } from "../../../lib/secrets/key-ring.ts";
import { createSecretValues } from "../../../lib/secrets/secret-values.ts";
import { ageIdentityText, expectedPlaintext, sopsFixture, testAgeIdentities } from "../../factories/sops.ts";
import { aTarget } from "../../factories/sync.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { rendererBinDir, testRenderer } from "../../support/renderer.ts";

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);
const AGE_REF = "ssm:/pullbridge/age/team-a";
const PLAINTEXTS = ["env-password-9876", "env-token-5432", "s3cr3t-P4ssw0rd-first", "helm-values-secret-1"];

let bridge: Bridge | undefined;
beforeAll(() => {
  rendererBinDir();
}, 1_200_000);
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const ageBridge = (target: Record<string, unknown>) =>
  startBridge({
    target: { ...target, decryption: { keys: ["team-a"] } },
    keys: { "team-a": { type: "age", privateKey: AGE_REF } },
    storedSecrets: { [AGE_REF]: ageIdentityText("a") },
    renderer: testRenderer(),
  });

const everythingReported = (b: Bridge, sha: string) =>
  [
    ...b.world.fake.statuses(sha).map((s) => s.description ?? ""),
    ...b.world.fake.checkRuns(sha).flatMap((r) => [r.title ?? "", r.summary ?? "", r.text ?? ""]),
  ].join("\n");

describe("encrypted render inputs", () => {
  it("renders a Kustomize overlay with an encrypted secretGenerator env file and an encrypted Secret", async () => {
    // Prepare
    bridge = await ageBridge({ path: "deploy" });
    const files = {
      "deploy/kustomization.yaml": [
        "resources:",
        "  - secret.enc.yaml",
        "namePrefix: prod-",
        "labels:",
        "  - pairs: { tier: backend }",
        "secretGenerator:",
        "  - name: app-env",
        "    envs: [app.enc.env]",
        "",
      ].join("\n"),
      "deploy/secret.enc.yaml": sopsFixture("secret.enc.yaml"),
      "deploy/app.enc.env": sopsFixture("app.enc.env"),
    };

    // Act
    const pushed = await bridge.push(files);
    await bridge.drain();
    const { namespace } = bridge;
    const secrets = (await core().listNamespacedSecret({ namespace })).items;
    const generated = secrets.find((s) => s.metadata?.name?.startsWith("prod-app-env-"));
    const credentials = secrets.find((s) => s.metadata?.name === "prod-db-credentials");
    const before = bridge.clusterRequests().writes;
    await bridge.scheduleDrift();
    await bridge.drain();

    // Assess
    const decode = (value: string | undefined) => Buffer.from(value ?? "", "base64").toString("utf8");
    expect(bridge.world.fake.statuses(pushed.sha).at(-1)?.state).toBe("success");
    expect(decode(generated?.data?.DB_PASSWORD)).toBe("env-password-9876");
    expect(decode(credentials?.data?.password)).toBe("s3cr3t-P4ssw0rd-first");
    expect(credentials?.metadata?.labels?.tier).toBe("backend");
    expect(bridge.clusterRequests().writes - before).toBe(0);
    const text = everythingReported(bridge, pushed.sha);
    for (const value of PLAINTEXTS) expect(text).not.toContain(value);
  });

  it("renders a Helm chart with an encrypted values file, masking the values a template put in a ConfigMap", async () => {
    // Prepare
    bridge = await ageBridge({
      path: "chart",
      render: "helm",
      helm: { valuesFiles: ["chart/values-prod.enc.yaml"] },
    });
    const files = {
      "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
      "chart/values.yaml": "replicaCount: 1\ncredentials:\n  password: unset\n  port: 1\n",
      "chart/values-prod.enc.yaml": sopsFixture("values.enc.yaml"),
      "chart/templates/config.yaml": [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: db",
        "data:",
        '  dsn: "postgres://app:{{ .Values.credentials.password }}@db:{{ .Values.credentials.port }}/app"',
        '  replicas: "{{ .Values.replicaCount }}"',
        "",
      ].join("\n"),
    };

    // Act
    const pushed = await bridge.push(files);
    await bridge.drain();
    const cm = await core().readNamespacedConfigMap({ name: "db", namespace: bridge.namespace });
    const changed = await bridge.push({
      "chart/values.yaml": files["chart/values.yaml"].replace("replicaCount: 1", "replicaCount: 3"),
    });
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(pushed.sha).at(-1)?.state).toBe("success");
    expect(cm.data?.dsn).toBe("postgres://app:helm-values-secret-1@db:5432/app");
    expect(cm.data?.replicas).toBe("2");
    for (const sha of [pushed.sha, changed.sha]) {
      const text = everythingReported(bridge, sha);
      for (const value of PLAINTEXTS) expect(text).not.toContain(value);
    }
  });
});

describe("encrypted secretGenerator files of every format", () => {
  it("reach the render as their exact plaintext: binary, JSON, YAML and dotenv", async () => {
    // Prepare
    const tree = new Map(
      Object.entries({
        "deploy/kustomization.yaml": [
          "secretGenerator:",
          "  - name: files",
          "    files: [tls.key=tls.enc.key, settings.json=ordering.enc.json, values.yaml=values.enc.yaml]",
          "  - name: env",
          "    envs: [app.enc.env]",
          "",
        ].join("\n"),
        "deploy/tls.enc.key": sopsFixture("tls.enc.key"),
        "deploy/ordering.enc.json": sopsFixture("ordering.enc.json"),
        "deploy/values.enc.yaml": sopsFixture("values.enc.yaml"),
        "deploy/app.enc.env": sopsFixture("app.enc.env"),
      }).map(([k, v]) => [k, Buffer.from(v)]),
    );
    const values = createSecretValues();

    // Act
    const loaded = await loadTargetObjects(
      {
        readTree: async () => tree,
        renderer: testRenderer(),
        capabilities: async () => undefined,
        secrets: {
          mode: "decrypt",
          keys: createKeyRing({
            kms: { allowed: [], keys: { decrypt: () => Promise.reject(new Error("age only")) } },
            age: [{ name: "team-a", identities: testAgeIdentities("a") }],
          }),
          values,
        },
      },
      aTarget("web", { path: "deploy" }),
    );

    // Assess
    const data = (prefix: string) =>
      loaded.desired.find((d) => String(d.object.metadata?.name).startsWith(prefix))?.object.data as Record<
        string,
        string
      >;
    const bytes = (value: string | undefined) => Buffer.from(value ?? "", "base64");
    const files = data("files-");
    expect(bytes(files["tls.key"]).toString("utf8")).toBe(
      (expectedPlaintext("tls.enc.key") as { data: string }).data,
    );
    expect(JSON.parse(bytes(files["settings.json"]).toString("utf8"))).toEqual(
      expectedPlaintext("ordering.enc.json"),
    );
    expect(parse(bytes(files["values.yaml"]).toString("utf8"))).toEqual(expectedPlaintext("values.enc.yaml"));
    expect(bytes(data("env-").DB_PASSWORD).toString("utf8")).toBe("env-password-9876");
    expect([...loaded.decryptedInputs].sort()).toEqual([
      "deploy/app.enc.env",
      "deploy/ordering.enc.json",
      "deploy/tls.enc.key",
      "deploy/values.enc.yaml",
    ]);
    expect(values.redact("env-password-9876 helm-values-secret-1")).toBe("*** ***");
  });
});

describe("the renderer helper with decrypted values", () => {
  it("loads a chart without writing anything to disk (no temporary directory exists at all)", () => {
    // Prepare: a request as the adapter sends it, the values file already decrypted into the tree.
    const tree = {
      "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
      "chart/.helmignore": "ignored/\n",
      "chart/ignored/bad.yaml": "not: [valid",
      "chart/values.yaml": "password: from-memory\n",
      "chart/templates/cm.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  p: {{ .Values.password | quote }}\n",
    };
    const request = {
      files: Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
      path: "chart",
      mode: "helm",
      helm: { releaseName: "r", namespace: "ns", valuesFiles: [], values: {}, apiVersions: [] },
      maxOutputBytes: 1_000_000,
      timeoutMs: 30_000,
    };

    // Act
    const run = spawnSync(join(rendererBinDir(), "pullbridge-renderer"), [], {
      input: JSON.stringify(request),
      env: { GOMAXPROCS: "2", TMPDIR: "/nonexistent/pullbridge-no-tmp" },
      encoding: "utf8",
    });

    // Assess
    const [header, ...text] = run.stdout.split("\n");
    expect(JSON.parse(header ?? "{}").error).toBeUndefined();
    expect(text.join("\n")).toContain('p: "from-memory"');
  });
});
