import { describe, expect, it } from "vitest";
import { inputsDigest } from "../../../lib/cache/input-digest.ts";
import { renderKey } from "../../../lib/cache/render-key.ts";
import { sha256Hex, type TreeIndex, viewOf } from "../../../lib/cache/tree-index.ts";
import { webhookTargets } from "../../factories/webhook.ts";

const file = (path: string, content: string) => ({
  path,
  digest: sha256Hex(content),
  size: content.length,
  storedDay: 1,
});
const index = (files: ReturnType<typeof file>[]): TreeIndex => ({
  repo: "acme/app",
  sha: "a".repeat(40),
  files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)),
  links: [],
  hardLinks: [],
});
const BASE = [
  file("apps/web/kustomization.yaml", "resources: [../../bases/web]"),
  file("bases/web/cm.yaml", "color: blue"),
  file("bases/web/config/a.env", "A=1"),
  file("docs/README.md", "docs"),
];
const RECORD = {
  inputs: ["apps/web/kustomization.yaml", "bases/web/cm.yaml"],
  listed: ["bases/web/config"],
  probed: { "apps/web/Kustomization": "absent" as const },
};
const digestOf = (files: ReturnType<typeof file>[]) =>
  inputsDigest(viewOf(index(files)), ["apps/web"], RECORD);

describe("the render cache key", () => {
  it("keeps the inputs digest when a file the render did not read changes", () => {
    expect(digestOf([...BASE.slice(0, 3), file("docs/README.md", "more docs")])).toBe(digestOf(BASE));
    expect(digestOf([...BASE, file("apps/api/cm.yaml", "x")])).toBe(digestOf(BASE));
  });

  it("changes it when a read file, a listed directory or a checked path changes", () => {
    const base = digestOf(BASE);
    expect(
      digestOf(
        [BASE[0], file("bases/web/cm.yaml", "color: green"), ...BASE.slice(2)].flatMap((f) => (f ? [f] : [])),
      ),
    ).not.toBe(base);
    expect(digestOf([...BASE, file("bases/web/config/b.env", "B=2")])).not.toBe(base);
    expect(digestOf([...BASE, file("apps/web/Kustomization", "resources: []")])).not.toBe(base);
  });

  it("covers the target, the renderer, the tooling version and Helm's capabilities", () => {
    const [web, api] = webhookTargets();
    if (web === undefined || api === undefined) throw new Error("targets");
    const material = {
      target: web,
      inputsDigest: "sha256:x",
      renderer: "sha256:r",
      toolingVersion: "1.0.0",
      capabilities: undefined,
    };
    const key = renderKey(material);
    expect(renderKey({ ...material })).toBe(key);
    expect(renderKey({ ...material, target: api })).not.toBe(key);
    expect(renderKey({ ...material, inputsDigest: "sha256:y" })).not.toBe(key);
    expect(renderKey({ ...material, renderer: "sha256:s" })).not.toBe(key);
    expect(renderKey({ ...material, toolingVersion: "1.0.1" })).not.toBe(key);
    const helm = { ...material, capabilities: { kubeVersion: "v1.36.3", apiVersions: ["v1", "apps/v1"] } };
    expect(renderKey(helm)).not.toBe(key);
    // The API list's order does not matter; its content does.
    expect(
      renderKey({ ...helm, capabilities: { kubeVersion: "v1.36.3", apiVersions: ["apps/v1", "v1"] } }),
    ).toBe(renderKey(helm));
    expect(
      renderKey({ ...helm, capabilities: { kubeVersion: "v1.37.0", apiVersions: ["v1", "apps/v1"] } }),
    ).not.toBe(renderKey(helm));
  });
});
