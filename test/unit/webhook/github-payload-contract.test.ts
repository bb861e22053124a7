/**
 * The webhook's view of GitHub payloads, held against GitHub's own published descriptions:
 * `@octokit/webhooks` (payload types generated from GitHub's webhook schema, event names) and
 * `@octokit/webhooks-examples` (real payloads, the source of test/fixtures/webhooks).
 */
import { readFileSync } from "node:fs";
import { type EmitterWebhookEvent, emitterEventNames } from "@octokit/webhooks";
import definitions from "@octokit/webhooks-examples" with { type: "json" };
import { describe, expect, expectTypeOf, it } from "vitest";
import type { PullRequestPayloadInput } from "../../../lib/webhook/route-pull-request.ts";
import type { PushPayloadInput } from "../../../lib/webhook/route-push.ts";

const example = (event: string, index: number): unknown =>
  (definitions as unknown as readonly { name: string; examples: readonly unknown[] }[]).find(
    (d) => d.name === event,
  )?.examples[index];
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/webhooks/${name}.json`, import.meta.url), "utf8"));

describe("GitHub payload contract", () => {
  it("accepts every payload GitHub's schema allows for the fields routing reads", () => {
    // Assess (at typecheck): a field routing requires that GitHub's schema does not guarantee,
    // or types differently, fails `tsc` here.
    expectTypeOf<EmitterWebhookEvent<"push">["payload"]>().toExtend<PushPayloadInput>();
    expectTypeOf<
      EmitterWebhookEvent<`pull_request.${"opened" | "synchronize" | "reopened"}`>["payload"]
    >().toExtend<PullRequestPayloadInput>();
  });

  it("routes events GitHub actually sends", () => {
    // Assess
    for (const event of [
      "ping",
      "push",
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.reopened",
    ])
      expect(emitterEventNames, event).toContain(event);
  });

  it.each([
    ["ping", "ping", 0],
    ["push", "push", 4],
    ["push-tag", "push", 0],
    ["pull-request-opened", "pull_request", 0],
    ["pull-request-synchronize", "pull_request", 22],
    ["pull-request-closed", "pull_request", 3],
  ] as const)("keeps fixture %s identical to GitHub's %s example %i", (name, event, index) => {
    // Act
    const expected = example(event, index);

    // Assess
    expect(expected).toBeDefined();
    expect(fixture(name)).toEqual(expected);
  });
});
