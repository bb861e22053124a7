import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseMarker } from "../../../lib/images/locate-image-fields.ts";
import { planImageUpdate } from "../../../lib/images/plan-image-update.ts";
import { digest, ECR_WEB, imagePolicy, markedDeployment, pushedImage } from "../../factories/images.ts";

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("parseMarker", () => {
  it("reads Flux setter markers and pullbridge markers, with the :tag scope", () => {
    expect(parseMarker(' {"$imagepolicy": "apps:web"}')).toEqual({ policy: "apps:web", scope: "image" });
    expect(parseMarker(' {"$imagepolicy": "apps:web:tag"}')).toEqual({ policy: "apps:web", scope: "tag" });
    expect(parseMarker(" pullbridge:image web")).toEqual({ policy: "web", scope: "image" });
    expect(parseMarker(" pullbridge:image web:tag")).toEqual({ policy: "web", scope: "tag" });
    expect(parseMarker(" keep the name")).toBeUndefined();
  });
});

describe("planImageUpdate", () => {
  it("changes only the tag characters: every other byte (comments, flow maps, spacing) stays", () => {
    // Prepare
    const before = markedDeployment();

    // Act
    const plan = planImageUpdate(
      files({ "apps/web/deployment.yaml": before }),
      [imagePolicy()],
      pushedImage("1.4.2"),
    );

    // Assess
    expect(plan.files.get("apps/web/deployment.yaml")).toBe(
      before.replace(`${ECR_WEB}:1.4.1 #`, `${ECR_WEB}:1.4.2 #`),
    );
    expect(plan.changes).toEqual([
      {
        file: "apps/web/deployment.yaml",
        line: 16,
        policy: "web",
        from: `${ECR_WEB}:1.4.1`,
        to: `${ECR_WEB}:1.4.2`,
        fromTag: "1.4.1",
        toTag: "1.4.2",
      },
    ]);
  });

  it("keeps byte-for-byte CRLF line ends, quotes and other documents of the same file", () => {
    const before = [
      "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: x}\r\n---\r\n",
      `spec:\r\n  image: "${ECR_WEB}:1.4.1"   # pullbridge:image web\r\n  other: '${ECR_WEB}:1.0.0'\r\n`,
    ].join("");
    const plan = planImageUpdate(files({ "a.yaml": before }), [imagePolicy()], pushedImage("1.5.0"));
    expect(plan.files.get("a.yaml")).toBe(before.replace(`web:1.4.1"`, `web:1.5.0"`));
  });

  it("writes tag@digest when the policy pins digests, and edits tag-only fields", () => {
    const before = `image:\n  repository: ${ECR_WEB}\n  tag: 1.4.1 # {"$imagepolicy": "web:tag"}\n`;
    const plan = planImageUpdate(
      files({ "values.yaml": before }),
      [imagePolicy({ pinDigest: true })],
      pushedImage("1.4.2"),
    );
    expect(plan.files.get("values.yaml")).toBe(
      before.replace("tag: 1.4.1 #", `tag: 1.4.2@${digest("1.4.2")} #`),
    );
  });

  it("updates a Kustomize images entry in place and inserts a missing newTag under the entry", () => {
    const before = [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      "resources: [deployment.yaml]",
      "images:",
      "  # the web image",
      "  - name: web",
      `    newName: ${ECR_WEB}`,
      "    newTag: 1.4.1   # bumped by pullbridge",
      "  - name: api",
      `    newName: ${ECR_WEB}`,
      "",
    ].join("\n");
    const plan = planImageUpdate(
      files({ "k/kustomization.yaml": before }),
      [imagePolicy()],
      pushedImage("1.4.3"),
    );
    expect(plan.files.get("k/kustomization.yaml")).toBe(
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources: [deployment.yaml]",
        "images:",
        "  # the web image",
        "  - name: web",
        `    newName: ${ECR_WEB}`,
        "    newTag: 1.4.3   # bumped by pullbridge",
        "  - name: api",
        `    newName: ${ECR_WEB}`,
        "    newTag: 1.4.3",
        "",
      ].join("\n"),
    );
  });

  it("nothing to change: older, same or non-matching tags and other repositories leave no file, with reasons", () => {
    const text = markedDeployment();
    const policies = [imagePolicy()];
    for (const image of [
      pushedImage("1.4.0"),
      pushedImage("1.4.1"),
      pushedImage("2.0.0"),
      pushedImage("9.9.9", { repository: "ghcr.io/acme/other" }),
    ]) {
      const plan = planImageUpdate(files({ "d.yaml": text }), policies, image);
      expect(plan.files.size).toBe(0);
      expect(plan.changes).toEqual([]);
    }
    expect(planImageUpdate(files({ "d.yaml": text }), policies, pushedImage("1.4.0")).ignored).toEqual([
      {
        file: "d.yaml",
        line: 16,
        code: "tag-not-newer",
        reason: "d.yaml:16: tag 1.4.0 is older than 1.4.1 (policy web)",
      },
    ]);
  });

  it("refuses a marker on an image of another repository and names unknown policies", () => {
    const wrong = markedDeployment({ image: "ghcr.io/evil/web:1.0.0" });
    const unknown = markedDeployment({ marker: "pullbridge:image nope" });
    const plan = planImageUpdate(
      files({ "a.yaml": wrong, "b.yaml": unknown }),
      [imagePolicy()],
      pushedImage("1.4.2"),
    );
    expect(plan.files.size).toBe(0);
    expect(plan.ignored.map((i) => i.code)).toEqual(["repository-mismatch", "unknown-policy"]);
  });

  it("property: the output differs from the input exactly where the old tag was", () => {
    const spacing = fc.stringMatching(/^[ ]{1,4}$/);
    const comment = fc.stringMatching(/^[a-z ]{0,20}$/);
    fc.assert(
      fc.property(
        spacing,
        comment,
        fc.constantFrom('"', "'", ""),
        fc.nat(20),
        (space, note, quote, patch) => {
          // Prepare
          const before = `# ${note}\nimage: ${quote}${ECR_WEB}:1.4.1${quote}${space}# {"$imagepolicy": "web"}\nnote: ${note || "x"} # ${note}\n`;
          const tag = `1.4.${patch + 2}`;

          // Act
          const after = planImageUpdate(
            files({ "f.yaml": before }),
            [imagePolicy()],
            pushedImage(tag),
          ).files.get("f.yaml");

          // Assess
          const at = before.indexOf("1.4.1");
          expect(after).toBe(`${before.slice(0, at)}${tag}${before.slice(at + "1.4.1".length)}`);
        },
      ),
    );
  });
});

/** A kustomization with one `images:` entry for the ECR web image; `entry` lines go under `- name: web`. */
const kustomization = (entry: readonly string[], eol = "\n") =>
  [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources: [deployment.yaml]",
    "images:",
    "  - name: web",
    `    newName: ${ECR_WEB}`,
    ...entry.map((l) => `    ${l}`),
    "",
  ].join(eol);

describe("planImageUpdate: defects found by the adversarial run (issue 22)", () => {
  it("a Flux marker on a kustomization's newTag is edited once, by the marker", () => {
    // Prepare
    const marked = (tag: string) => kustomization([`newTag: ${tag} # {"$imagepolicy": "kweb:tag"}`]);
    const policies = [imagePolicy({ name: "kweb", semver: ">=1.0.0" })];

    // Act
    const minor = planImageUpdate(
      files({ "k/kustomization.yaml": marked("1.9.0") }),
      policies,
      pushedImage("1.10.0"),
    );
    const major = planImageUpdate(
      files({ "k/kustomization.yaml": marked("1.9.0") }),
      policies,
      pushedImage("2.0.0"),
    );

    // Assess: was `1.10.00` and `newTag: 2.0.0 {"$imagepolicy"…` (two rules, overlapping splices).
    expect(minor.files.get("k/kustomization.yaml")).toBe(marked("1.10.0"));
    expect(major.files.get("k/kustomization.yaml")).toBe(marked("2.0.0"));
    expect(minor.changes).toHaveLength(1);
    expect(parse(major.files.get("k/kustomization.yaml") ?? "").images[0].newTag).toBe("2.0.0");
  });

  it("Flux's kustomization layout: :name is checked and kept, :tag and :digest are written once each", () => {
    const entry = (tag: string, sha: string) => [
      `newTag: ${tag} # {"$imagepolicy": "apps:web:tag"}`,
      `digest: ${sha} # {"$imagepolicy": "apps:web:digest"}`,
    ];
    const before = kustomization(entry("1.4.1", digest("1.4.1"))).replace(
      `newName: ${ECR_WEB}`,
      `newName: ${ECR_WEB} # {"$imagepolicy": "apps:web:name"}`,
    );
    const policies = [imagePolicy({ name: "apps:web", pinDigest: true })];

    const plan = planImageUpdate(files({ "kustomization.yaml": before }), policies, pushedImage("1.4.2"));

    expect(plan.files.get("kustomization.yaml")).toBe(
      before.replace("newTag: 1.4.1", "newTag: 1.4.2").replace(digest("1.4.1"), digest("1.4.2")),
    );
    expect(plan.changes.map((c) => [c.line, c.from, c.to])).toEqual([
      [7, "1.4.1", "1.4.2"],
      [8, digest("1.4.1"), digest("1.4.2")],
    ]);
  });

  it("a :name marker alone writes nothing, so the entry rule keeps the entry and edits its newTag", () => {
    const before = kustomization(["newTag: 1.4.1"]).replace(
      `newName: ${ECR_WEB}`,
      `newName: ${ECR_WEB} # {"$imagepolicy": "web:name"}`,
    );
    const plan = planImageUpdate(
      files({ "kustomization.yaml": before }),
      [imagePolicy()],
      pushedImage("1.4.2"),
    );
    expect(plan.files.get("kustomization.yaml")).toBe(before.replace("newTag: 1.4.1", "newTag: 1.4.2"));
    expect(plan.changes).toHaveLength(1);
  });

  it("a marked entry whose digest is unmarked is refused: the digest would override the tag written", () => {
    const before = kustomization([`newTag: 1.4.1 # {"$imagepolicy": "web:tag"}`, `digest: ${digest("x")}`]);
    const plan = planImageUpdate(
      files({ "kustomization.yaml": before }),
      [imagePolicy()],
      pushedImage("1.4.2"),
    );
    expect(plan.files.size).toBe(0);
    expect(plan.ignored).toEqual([
      expect.objectContaining({
        code: "not-editable",
        line: 5,
        reason: expect.stringContaining("its digest has none"),
      }),
    ]);
  });

  it("keeps a tag a string: a plain tag that would read as a number, bool or null is quoted", () => {
    // Prepare: a Helm values file at `latest`, a date-stamped policy.
    const before = `image:\n  repository: ${ECR_WEB}\n  tag: latest # {"$imagepolicy": "web:tag"}\n`;
    const policy = imagePolicy({ regex: { pattern: "([0-9]{8})" } });

    // Act
    const after = planImageUpdate(
      files({ "values.yaml": before }),
      [policy],
      pushedImage("20261202"),
    ).files.get("values.yaml");

    // Assess: was `tag: 20261202`, an integer (Helm renders 2.0261202e+07).
    expect(after).toBe(before.replace("tag: latest", 'tag: "20261202"'));
    expect(parse(after ?? "").image.tag).toBe("20261202");
  });

  it("quotes YAML 1.1 bools (Helm's parser) and numeric shapes in newTag, inserted or replaced", () => {
    const regex = imagePolicy({ regex: { pattern: "(.+)", order: "alphabetical" } });
    for (const tag of ["yes", "on", "1e5", "0x1F", "007", "null", "true"]) {
      const replaced = planImageUpdate(
        // "." sorts before every tag shape below, so each is newer under the alphabetical policy.
        files({ "kustomization.yaml": kustomization(["newTag: ."]) }),
        [regex],
        pushedImage(tag),
      ).files.get("kustomization.yaml");
      const inserted = planImageUpdate(
        files({ "kustomization.yaml": kustomization([]) }),
        [regex],
        pushedImage(tag),
      ).files.get("kustomization.yaml");
      expect(replaced).toBe(kustomization([`newTag: "${tag}"`]));
      expect(inserted).toBe(kustomization([`newTag: "${tag}"`]));
      expect(parse(replaced ?? "", { version: "1.1" }).images[0].newTag).toBe(tag);
    }
  });

  it("refuses a downgrade from a current tag outside the policy, and says so", () => {
    // Prepare: the manifest runs 2.0.0; the policy says ^1.4.0.
    const text = markedDeployment({ image: `${ECR_WEB}:2.0.0` });
    const policies = [imagePolicy({ semver: "^1.4.0" })];

    // Act
    const plan = planImageUpdate(files({ "d.yaml": text }), policies, pushedImage("1.4.2"));

    // Assess: was an "update" to 1.4.2.
    expect(plan.files.size).toBe(0);
    expect(plan.ignored).toEqual([
      {
        file: "d.yaml",
        line: 16,
        code: "current-outside-policy",
        reason:
          "d.yaml:16: current tag 2.0.0 is outside policy web (semver range ^1.4.0) and not older than 1.4.2: refusing a downgrade; set the tag by hand or widen the policy",
      },
    ]);
    // A current tag that is no version is still brought under the policy; a lower one is upgraded.
    for (const current of ["latest", "1.0.0"]) {
      const upgraded = planImageUpdate(
        files({ "d.yaml": markedDeployment({ image: `${ECR_WEB}:${current}` }) }),
        policies,
        pushedImage("1.4.2"),
      );
      expect(upgraded.changes.map((c) => c.to)).toEqual([`${ECR_WEB}:1.4.2`]);
    }
  });

  it("reads back every digest an image job may pin: a short pinned digest is updated again", () => {
    // Prepare: pinned with the 40-hex digest GitHub's package example carries.
    const short = "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b";
    const text = markedDeployment({ image: `${ECR_WEB}:1.4.1@${short}` });

    // Act
    const plan = planImageUpdate(
      files({ "d.yaml": text }),
      [imagePolicy({ pinDigest: true })],
      pushedImage("1.4.2"),
    );

    // Assess: was refused as `repository-mismatch` forever.
    expect(plan.ignored).toEqual([]);
    expect(plan.files.get("d.yaml")).toBe(text.replace(`1.4.1@${short}`, `1.4.2@${digest("1.4.2")}`));
  });

  it("an inserted digest line keeps CRLF line ends and leaves the trailing comment where it was", () => {
    // Prepare
    const before = kustomization(["newTag: 1.4.1   # bumped by pullbridge"], "\r\n");

    // Act
    const after = planImageUpdate(
      files({ "kustomization.yaml": before }),
      [imagePolicy({ pinDigest: true })],
      pushedImage("1.4.2"),
    ).files.get("kustomization.yaml");

    // Assess: was `newTag: 1.4.2\n    digest: sha256:…   # bumped by pullbridge` (bare LF, comment moved).
    expect(after).toBe(
      kustomization(["newTag: 1.4.2   # bumped by pullbridge", `digest: ${digest("1.4.2")}`], "\r\n"),
    );
  });

  it("inserts under an entry at the end of a file without a final line break", () => {
    const before = kustomization(["newTag: 1.4.1"]).trimEnd();
    const after = planImageUpdate(
      files({ "kustomization.yaml": before }),
      [imagePolicy({ pinDigest: true })],
      pushedImage("1.4.2"),
    ).files.get("kustomization.yaml");
    expect(after).toBe(kustomization(["newTag: 1.4.2", `digest: ${digest("1.4.2")}`]).trimEnd());
  });

  it("reports a file with duplicate keys (or any YAML error) that holds a marker, with its line", () => {
    // Prepare
    const text = `image: ${ECR_WEB}:1.4.1 # {"$imagepolicy": "web"}\nreplicas: 1\nreplicas: 2\n`;

    // Act
    const plan = planImageUpdate(
      files({ "d.yaml": text, "chart/templates/x.yaml": "a: {{ .Values.x }}\n" }),
      [imagePolicy()],
      pushedImage("1.4.2"),
    );

    // Assess: was skipped without a word; a template without markers stays quiet.
    expect(plan.files.size).toBe(0);
    expect(plan.ignored).toEqual([
      {
        file: "d.yaml",
        line: 3,
        code: "not-editable",
        reason: "d.yaml:3: not valid YAML (Map keys must be unique); image fields in it are not edited",
      },
    ]);
  });
});
