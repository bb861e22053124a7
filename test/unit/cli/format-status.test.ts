import { describe, expect, it } from "vitest";
import { parseSummaryCounts, type TargetStatus } from "../../../lib/app/status-command.ts";
import { formatAge, formatStatusTable, statusJson } from "../../../lib/cli/format-status.ts";
import { createPalette } from "../../../lib/cli/palette.ts";
import type { ObjectHealthRow } from "../../../lib/health/assess-health.ts";
import { HealthStatus } from "../../../lib/health/health-status.ts";

const NOW = new Date("2025-11-22T10:00:00Z");

function aRow(
  kind: string,
  group: string,
  name: string,
  status: HealthStatus,
  message: string,
): ObjectHealthRow {
  return {
    subject: { group, kind, namespace: "apps", name },
    groupKind: group ? `${kind}.${group}` : kind,
    health: { status, message },
  };
}

function aStatus(overrides: Partial<TargetStatus> = {}): TargetStatus {
  return {
    target: "web",
    namespace: "apps",
    parent: "pullbridge-web",
    state: "synced",
    applySetId: "applyset-x-v1",
    lastSync: {
      sha: "0123456789abcdef0123456789abcdef01234567",
      time: "2025-11-22T09:55:00Z",
      counts: { created: 3, updated: 1, unchanged: 7, pruned: 2, skipped: 0 },
    },
    groupKinds: ["ConfigMap", "Deployment.apps"],
    additionalNamespaces: [],
    ...overrides,
  };
}

describe("formatAge", () => {
  it.each([
    ["2025-11-22T09:59:30Z", "30s"],
    ["2025-11-22T09:55:00Z", "5m"],
    ["2025-11-22T07:00:00Z", "3h"],
    ["2025-11-19T10:00:00Z", "3d"],
    ["not a time", "?"],
  ])("shows %s as %s", (time, expected) => {
    // Act
    const age = formatAge(time, NOW);

    // Assess
    expect(age).toBe(expected);
  });
});

describe("formatStatusTable", () => {
  it("prints one row per target and lists errors under the table", () => {
    // Prepare
    const statuses = [
      aStatus(),
      aStatus({ target: "api", state: "never-synced", lastSync: undefined, groupKinds: [] }),
      aStatus({ target: "ops", state: "error", lastSync: undefined, groupKinds: [], error: "403 Forbidden" }),
    ];

    // Act
    const text = formatStatusTable(statuses, NOW, createPalette(false));

    // Assess
    expect(text.split("\n")).toEqual([
      "TARGET  NAMESPACE  STATE         REVISION  SYNCED AT             AGE  LAST CHANGES  HEALTH  KINDS",
      "web     apps       synced        0123456   2025-11-22T09:55:00Z  5m   +3 ~1 -2 =7   -       ConfigMap,Deployment.apps",
      "api     apps       never-synced  -         -                     -    -             -       -",
      "ops     apps       error         -         -                     -    -             -       -",
      "error: ops: 403 Forbidden",
    ]);
  });

  it("shows each target's health in a column and its objects below, unhealthy first, with read errors listed", () => {
    // Prepare
    const rows = [
      aRow("Service", "", "web", HealthStatus.Current, "Service is ready"),
      aRow("Deployment", "apps", "web", HealthStatus.InProgress, "1/3 ready"),
    ];
    const statuses = [
      aStatus({ health: { assessment: { verdict: "in-progress", rows } } }),
      aStatus({ target: "api", health: { error: "403 Forbidden: pods is forbidden" } }),
    ];

    // Act
    const text = formatStatusTable(statuses, NOW, createPalette(false));

    // Assess
    expect(text.split("\n")).toEqual([
      "TARGET  NAMESPACE  STATE   REVISION  SYNCED AT             AGE  LAST CHANGES  HEALTH       KINDS",
      "web     apps       synced  0123456   2025-11-22T09:55:00Z  5m   +3 ~1 -2 =7   progressing  ConfigMap,Deployment.apps",
      "api     apps       synced  0123456   2025-11-22T09:55:00Z  5m   +3 ~1 -2 =7   unknown      ConfigMap,Deployment.apps",
      "",
      "web (apps):",
      "  OBJECT                    HEALTH      MESSAGE",
      "  Deployment.apps apps/web  InProgress  1/3 ready",
      "  Service apps/web          Current     Service is ready",
      "error: api: health: 403 Forbidden: pods is forbidden",
    ]);
  });

  it("lists each target's last GitHub deployment below the table, and a deployment read error as an error line", () => {
    // Prepare
    const statuses = [
      aStatus({
        deployment: {
          id: 42,
          sha: "0123456789abcdef0123456789abcdef01234567",
          environment: "production",
          createdAt: "2025-11-22T09:58:00Z",
          state: "success",
          description: "1 updated in 0.3s",
          updatedAt: "2025-11-22T09:59:00Z",
          environmentUrl: "https://shop.example.com",
        },
      }),
      aStatus({ target: "api", deployment: { error: "403 Forbidden" } }),
    ];

    // Act
    const lines = formatStatusTable(statuses, NOW, createPalette(false)).split("\n");

    // Assess
    expect(lines.slice(3)).toEqual([
      "",
      "Last GitHub deployment:",
      "  web: #42 production 0123456 success 60s ago: 1 updated in 0.3s https://shop.example.com",
      "error: api: deployment: 403 Forbidden",
    ]);
  });

  it("says so when there is nothing to show", () => {
    // Act
    const text = formatStatusTable([], NOW, createPalette(false));

    // Assess
    expect(text).toBe("No pullbridge targets found.");
  });
});

describe("statusJson and parseSummaryCounts", () => {
  it("keeps every key, with null for what is unknown", () => {
    // Act
    const json = statusJson([aStatus({ state: "never-synced", lastSync: undefined, applySetId: undefined })]);

    // Assess
    expect(json.targets[0]).toEqual({
      target: "web",
      namespace: "apps",
      parent: "pullbridge-web",
      state: "never-synced",
      applySetId: null,
      lastSync: null,
      groupKinds: ["ConfigMap", "Deployment.apps"],
      additionalNamespaces: [],
      health: null,
      deployment: null,
      error: null,
    });
  });

  it("lists each object's health as JSON", () => {
    // Prepare
    const rows = [aRow("Deployment", "apps", "web", HealthStatus.Failed, 'pod web-1: ImagePullBackOff "x"')];

    // Act
    const json = statusJson([aStatus({ health: { assessment: { verdict: "failed", rows } } })]);

    // Assess
    expect(json.targets[0]?.health).toEqual({
      verdict: "failed",
      objects: [
        {
          object: "Deployment.apps apps/web",
          groupKind: "Deployment.apps",
          namespace: "apps",
          name: "web",
          status: "Failed",
          message: 'pod web-1: ImagePullBackOff "x"',
        },
      ],
      error: null,
    });
  });

  it("reads the parent's summary annotation, tolerating missing keys and garbage", () => {
    // Act
    const partial = parseSummaryCounts('{"created":2,"pruned":1}');
    const garbage = parseSummaryCounts("not json");

    // Assess
    expect(partial).toEqual({ created: 2, updated: 0, unchanged: 0, pruned: 1, skipped: 0 });
    expect(garbage).toBeUndefined();
  });
});
