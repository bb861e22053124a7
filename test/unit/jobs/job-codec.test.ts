import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobFormatError } from "../../../lib/errors.ts";
import { decodeJob, encodeJob, jobMessageGroupId, validateJob } from "../../../lib/jobs/job-codec.ts";
import { aPreviewJob, aSyncJob, rawJob } from "../../factories/webhook-jobs.ts";

describe("job codec", () => {
  it("round-trips sync and preview jobs", () => {
    // Prepare
    const jobs = [aSyncJob(), aPreviewJob()];

    // Act
    const decoded = jobs.map((job) => decodeJob(encodeJob(job)));

    // Assess
    expect(decoded).toEqual(jobs);
  });

  it("writes a small versioned JSON message", () => {
    // Act
    const body = encodeJob(aSyncJob());

    // Assess
    expect(JSON.parse(body)).toMatchObject({ v: 1, type: "sync", target: "web" });
    expect(body.length).toBeLessThan(512);
  });

  it("fills in the version and trigger when a sender leaves them out", () => {
    // Prepare
    const { v: _v, trigger: _t, ...input } = aSyncJob();

    // Act
    const job = validateJob(input);

    // Assess
    expect(job).toMatchObject({ v: 1, trigger: "webhook" });
  });

  it("ignores fields it does not know (a newer sender during a deploy)", () => {
    // Prepare
    const body = JSON.stringify(rawJob({ priority: "high" }));

    // Act
    const job = decodeJob(body);

    // Assess
    expect(job).toEqual(aSyncJob());
  });

  it.each([
    ["not JSON", "{", "invalid job: body is not JSON"],
    ["not an object", "[1]", "invalid job: body is not a JSON object"],
    ["an unknown version", JSON.stringify(rawJob({ v: 2 })), "unsupported job version 2"],
    ["a missing version", JSON.stringify(rawJob({ v: undefined })), "unsupported job version (missing)"],
    ["an unknown type", JSON.stringify(rawJob({ type: "destroy" })), "invalid job: type:"],
    [
      "a short sha",
      JSON.stringify(rawJob({ sha: "abc123" })),
      "invalid job: sha: must be a 40-character hex commit sha",
    ],
    ["a bad target name", JSON.stringify(rawJob({ target: "Web Prod" })), "invalid job: target:"],
    ["a bad timestamp", JSON.stringify(rawJob({ receivedAt: "yesterday" })), "invalid job: receivedAt:"],
    ["a ref that is not a full ref", JSON.stringify(rawJob({ ref: "main" })), "invalid job: ref:"],
    [
      "a preview without its pull request",
      JSON.stringify(rawJob({ type: "preview" })),
      "invalid job: pullRequest:",
    ],
  ])("refuses %s with a permanent JobFormatError", (_name, body, message) => {
    // Act
    const attempt = () => decodeJob(body);

    // Assess
    expect(attempt).toThrow(JobFormatError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as JobFormatError).retryable).toBe(false);
    }
  });

  it("validates on the sending side too", () => {
    // Act
    const attempt = () => encodeJob({ ...aSyncJob(), deliveryId: "has spaces" });

    // Assess
    expect(attempt).toThrow(/invalid job: deliveryId/);
  });

  it("decodes whatever it encodes (property)", () => {
    // Prepare
    const hex = fc.stringMatching(/^[0-9a-f]{40}$/);
    const job = fc.record({
      target: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
      sha: hex,
      before: hex,
      deliveryId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,100}$/),
      sender: fc.string({ minLength: 1, maxLength: 100 }),
      installationId: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }),
    });

    // Act + Assess
    fc.assert(
      fc.property(job, (fields) => {
        const { installationId, ...rest } = fields;
        const input = { ...aSyncJob(), ...rest, ...(installationId === undefined ? {} : { installationId }) };
        if (installationId === undefined) delete (input as { installationId?: number }).installationId;
        expect(decodeJob(encodeJob(input))).toEqual(input);
      }),
      { numRuns: 500 },
    );
  });
});

describe("jobMessageGroupId", () => {
  it("groups syncs by target and previews in a group of their own", () => {
    // Act
    const groups = [
      jobMessageGroupId(aSyncJob({ target: "web" })),
      jobMessageGroupId(aPreviewJob({ target: "web" })),
    ];

    // Assess
    expect(groups).toEqual(["web", "preview:web"]);
  });
});
