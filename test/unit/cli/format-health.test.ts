import { describe, expect, it } from "vitest";
import type { HealthWaitResult } from "../../../lib/app/wait-for-health.ts";
import { formatHealthProgress, formatHealthWaitResult } from "../../../lib/cli/format-health.ts";
import { createPalette } from "../../../lib/cli/palette.ts";
import type { ObjectHealthRow } from "../../../lib/health/assess-health.ts";
import { HealthStatus } from "../../../lib/health/health-status.ts";

function aRow(name: string, status: HealthStatus, message: string, kind = "Deployment"): ObjectHealthRow {
  return {
    subject: { group: "apps", kind, namespace: "apps", name },
    groupKind: `${kind}.apps`,
    health: { status, message },
  };
}

function aResult(outcome: HealthWaitResult["outcome"], rows: ObjectHealthRow[]): HealthWaitResult {
  return { outcome, assessment: { verdict: "in-progress", rows }, applied: 4, elapsedMs: 12_300, checks: 5 };
}

const p = createPalette(false);

describe("formatHealthProgress", () => {
  it("names what is not ready yet, with the elapsed seconds", () => {
    // Prepare
    const rows = [
      aRow("web", HealthStatus.InProgress, "1/3 ready"),
      aRow("api", HealthStatus.Current, "2/2 ready"),
    ];

    // Act
    const line = formatHealthProgress(rows, 4_400);

    // Assess
    expect(line).toBe("waiting for 1 of 2 objects: Deployment web 1/3 ready (4s)");
  });

  it("stays on one terminal line: objects that do not fit are counted", () => {
    // Prepare
    const rows = Array.from({ length: 30 }, (_, i) => aRow(`web-${i}`, HealthStatus.InProgress, "0/3 ready"));

    // Act
    const line = formatHealthProgress(rows, 1_000);

    // Assess
    expect(line.length).toBeLessThanOrEqual(150);
    expect(line).toMatch(
      /^waiting for 30 of 30 objects: Deployment web-0 0\/3 ready; .* \(\+\d+ more\) \(1s\)$/,
    );
  });
});

describe("formatHealthWaitResult", () => {
  it("names only the failed objects when one failed", () => {
    // Prepare
    const result = aResult("failed", [
      aRow("web", HealthStatus.Failed, 'pod web-1: ImagePullBackOff "no such image"'),
      aRow("api", HealthStatus.InProgress, "1/2 ready"),
    ]);

    // Act
    const { verdict, table } = formatHealthWaitResult(result, { timeoutSeconds: 300, p });

    // Assess
    expect(verdict).toBe(
      'error: not healthy (failed after 12.3s): Deployment web: pod web-1: ImagePullBackOff "no such image"',
    );
    expect(table.split("\n")[1]).toMatch(/^Deployment\.apps apps\/web\s+Failed\s+pod web-1/);
  });

  it("names everything not ready at the timeout, and says which timeout", () => {
    // Prepare
    const result = aResult("timed-out", [
      aRow("web", HealthStatus.InProgress, "1/3 ready"),
      aRow("api", HealthStatus.Current, "2/2 ready"),
    ]);

    // Act
    const { verdict } = formatHealthWaitResult(result, { timeoutSeconds: 120, p });

    // Assess
    expect(verdict).toBe("error: not healthy after 2m 0s (--timeout): Deployment web: 1/3 ready");
  });
});
