import fc from "fast-check";
import { describe, expect, it } from "vitest";
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
