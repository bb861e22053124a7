/** The config repository's jobs in the codec: config, environment and remove jobs, and their FIFO groups. */
import { describe, expect, it } from "vitest";
import { CONFIG_JOB_TARGET, decodeJob, encodeJob, jobMessageGroupId } from "../../../lib/jobs/job-codec.ts";
import { sha } from "../../factories/webhook.ts";

const common = { deliveryId: "d-1", sender: "octocat", receivedAt: "2026-01-02T03:04:05.000Z" };

describe("config repository jobs", () => {
  const config = {
    type: "config",
    target: CONFIG_JOB_TARGET,
    repo: "acme/platform",
    sha: sha("c"),
    ...common,
  } as const;
  const validation = { ...config, pullRequest: { number: 3, headSha: sha("h") } };
  const environment = {
    type: "environment",
    target: "web-pr-7",
    repo: "acme/web",
    ref: "refs/heads/feature",
    sha: sha("h"),
    before: sha("b"),
    generator: "web",
    pullRequest: { number: 7, branch: "feature" },
    ...common,
  } as const;
  const removal = {
    type: "remove",
    target: "web-pr-7",
    repo: "acme/web",
    reportOn: { repo: "acme/web", sha: sha("h") },
    environment: { generator: "web", number: 7 },
    ...common,
  } as const;

  it("round-trips each kind", () => {
    // Act
    const decoded = [config, validation, environment, removal].map((job) => decodeJob(encodeJob(job)));

    // Assess
    expect(decoded).toEqual([
      { v: 1, ...config },
      { v: 1, ...validation },
      { v: 1, trigger: "webhook", ...environment },
      { v: 1, ...removal },
    ]);
  });

  it("runs installing config jobs in one group, validations beside them, and environments in their target's", () => {
    // Act
    const groups = [config, validation, environment, removal].map((job) => jobMessageGroupId(job));

    // Assess
    expect(groups).toEqual(["pullbridge:config", "preview:pullbridge:config", "web-pr-7", "web-pr-7"]);
  });

  it("refuses a config job naming a target (its target is fixed, so it never shares a dedup id with one)", () => {
    // Act / Assess
    expect(() => encodeJob({ ...config, target: "web" } as never)).toThrow(/target/);
  });
});
