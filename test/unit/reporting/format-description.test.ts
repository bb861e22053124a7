import { describe, expect, it } from "vitest";
import {
  formatDriftDescription,
  formatDuration,
  formatFailureDescription,
  formatPreviewTitle,
  formatSupersededDescription,
  formatSyncDescription,
} from "../../../lib/reporting/format-description.ts";

const counts = (created: number, updated: number, pruned: number, unchanged: number) => ({
  created,
  updated,
  pruned,
  unchanged,
});

describe("formatSyncDescription", () => {
  it("lists what changed and how long it took", () => {
    // Act
    const description = formatSyncDescription(counts(3, 1, 2, 40), 1_830);

    // Assess
    expect(description).toBe("3 created, 1 updated, 2 pruned in 1.8s");
  });

  it("omits outcomes that did not happen", () => {
    // Act
    const description = formatSyncDescription(counts(0, 2, 0, 5), 400);

    // Assess
    expect(description).toBe("2 updated in 0.4s");
  });

  it("says no changes when the cluster already matched", () => {
    // Act
    const description = formatSyncDescription(counts(0, 0, 0, 40), 320);

    // Assess
    expect(description).toBe("no changes (40 unchanged) in 0.3s");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0.0s"],
    [1_849, "1.8s"],
    [59_940, "59.9s"],
    [125_000, "2m 5s"],
  ])("%i ms → %s", (ms, expected) => {
    // Act
    const text = formatDuration(ms);

    // Assess
    expect(text).toBe(expected);
  });
});

describe("formatPreviewTitle", () => {
  it("gives +created ~updated -pruned and the unchanged count", () => {
    // Act
    const title = formatPreviewTitle(counts(3, 1, 2, 40));

    // Assess
    expect(title).toBe("+3 ~1 -2, 40 unchanged");
  });
});

describe("formatSupersededDescription", () => {
  it("names the newer head by its short sha", () => {
    // Act
    const description = formatSupersededDescription("abc1234def5678abc1234def5678abc1234def56");

    // Assess
    expect(description).toBe("superseded by abc1234");
  });
});

describe("formatDriftDescription", () => {
  it("lists the drifted objects when they fit", () => {
    // Act
    const description = formatDriftDescription(["Deployment.apps team-a/web", "ConfigMap team-a/settings"]);

    // Assess
    expect(description).toBe("drift detected: Deployment.apps team-a/web, ConfigMap team-a/settings");
  });

  it("shows as many as fit in 140 characters and counts the rest", () => {
    // Prepare
    const objects = Array.from({ length: 12 }, (_, i) => `Deployment.apps team-a/service-number-${i}`);

    // Act
    const description = formatDriftDescription(objects);

    // Assess
    expect(description.length).toBeLessThanOrEqual(140);
    expect(description).toMatch(
      /^drift detected: Deployment\.apps team-a\/service-number-0, .* \(\+\d+ more\)$/,
    );
    const shown = description.split(", ").length;
    expect(description).toContain(`(+${12 - shown} more)`);
  });
});

describe("formatFailureDescription", () => {
  it("keeps the first line of the error, within 140 characters", () => {
    // Act
    const description = formatFailureDescription(`apps/web.yaml:4:3: ${"bad ".repeat(60)}\nstack trace`);

    // Assess
    expect(description.startsWith("apps/web.yaml:4:3: bad bad")).toBe(true);
    expect(description.length).toBeLessThanOrEqual(140);
    expect(description.endsWith("…")).toBe(true);
    expect(description).not.toContain("stack trace");
  });
});
