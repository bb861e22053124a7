import { describe, expect, it } from "vitest";
import { recordTouches } from "../../../lib/routing/routing-record.ts";
import { NO_DERIVED_ROUTES, touchedBy } from "../../../lib/webhook/route-push.ts";
import { aTarget, webhookTargets } from "../../factories/webhook.ts";

const target = (name: string) => {
  const found = webhookTargets([aTarget({ name: "fresh" })]).find((t) => t.name === name);
  if (found === undefined) throw new Error(name);
  return found;
};

const OVERLAY = {
  inputs: ["apps/web/kustomization.yaml", "bases/web/deployment.yaml", "bases/web/kustomization.yaml"],
  listed: ["bases/web/config"],
  probed: { "apps/web/kustomization.yaml": "file", "apps/web/Kustomization": "absent" } as const,
};

describe("derived routing", () => {
  it("touches a render through a file it read, a directory it listed and a path it found absent", () => {
    // Assess
    expect(recordTouches(OVERLAY, "bases/web/deployment.yaml")).toBe(true);
    expect(recordTouches(OVERLAY, "bases/web/config/new.env")).toBe(true);
    expect(recordTouches(OVERLAY, "apps/web/Kustomization")).toBe(true);
    expect(recordTouches(OVERLAY, "bases/api/deployment.yaml")).toBe(false);
    expect(recordTouches(OVERLAY, "bases/web/README.md")).toBe(false);
  });

  it("routes a push to a target whose base elsewhere changed, not to one whose render did not read it", () => {
    // Prepare
    const web = target("web");
    const api = target("api");
    const routes = {
      recordOf: (name: string) => (name === "web" ? OVERLAY : { inputs: [], listed: [], probed: {} }),
    };

    // Assess
    expect(touchedBy(web, ["bases/web/deployment.yaml"], routes)).toBe(true);
    expect(touchedBy(api, ["bases/web/deployment.yaml"], routes)).toBe(false);
    // Without derived routing, only the target's path and watch count (today's behaviour).
    expect(touchedBy(web, ["bases/web/deployment.yaml"], undefined)).toBe(false);
    // The target's own path always routes, whatever the record says.
    expect(touchedBy(api, ["apps/api/cm.yaml"], routes)).toBe(true);
  });

  it("routes every push to a target with no record yet, and to all when the records cannot be read", () => {
    // Prepare
    const fresh = target("fresh");
    const routes = { recordOf: () => undefined };

    // Assess
    expect(touchedBy(fresh, ["docs/README.md"], routes)).toBe(true);
    expect(touchedBy(fresh, ["docs/README.md"], NO_DERIVED_ROUTES)).toBe(true);
  });
});
