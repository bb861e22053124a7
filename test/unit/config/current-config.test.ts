/**
 * The stored config as the routers read it: one conditional GET per read, no request at all
 * without a config repository, and a config stored from another repository is not in force.
 */
import { describe, expect, it } from "vitest";
import { createCurrentConfigSource } from "../../../lib/config/current-config.ts";
import {
  packStoredConfig,
  STORED_CONFIG_KEY,
  type StoredConfigInput,
} from "../../../lib/config/stored-config.ts";
import { parseTargetsConfig, type Target } from "../../../lib/config/targets.ts";
import { memoryObjectStore } from "../../factories/memory-object-store.ts";

const packaged = { name: "legacy", repo: "acme/legacy", cluster: "prod", namespace: "legacy" };
const stackWith = (configRepository?: object) =>
  parseTargetsConfig({
    version: 1,
    clusters: { prod: { type: "eks", name: "prod" } },
    targets: [packaged],
    ...(configRepository === undefined ? {} : { configRepository }),
  });
const stack = stackWith({ repo: "acme/platform", path: "pullbridge" });
const web = parseTargetsConfig({
  version: 1,
  clusters: { prod: { type: "eks", name: "prod" } },
  targets: [{ name: "web", repo: "acme/web", cluster: "prod", namespace: "web" }],
}).targets[0] as Target;

const storedConfig = (overrides: Partial<StoredConfigInput> = {}): string =>
  packStoredConfig({
    repo: "acme/platform",
    branch: "main",
    path: "pullbridge",
    sha: "a".repeat(40),
    storedAt: "2026-01-01T00:00:00.000Z",
    targets: [web],
    origins: {},
    directorySources: [],
    pullRequestGenerators: [],
    retired: [],
    queued: { sync: [], remove: [] },
    ...overrides,
  });

describe("the current config", () => {
  it("adds the stored targets to the packaged ones, revalidating with a conditional GET each read", async () => {
    // Prepare
    const store = memoryObjectStore({ [STORED_CONFIG_KEY]: storedConfig() });
    const current = createCurrentConfigSource(stack, store);

    // Act
    const first = await current.targets();
    const second = await current.targets();

    // Assess
    expect(first.targets.map((t) => t.name)).toEqual(["legacy", "web"]);
    expect(second.targets.map((t) => t.name)).toEqual(["legacy", "web"]);
    expect(store.calls).toEqual([
      { op: "get", key: STORED_CONFIG_KEY, conditional: false },
      { op: "get", key: STORED_CONFIG_KEY, conditional: true },
    ]);
    expect(current.stats).toEqual({ requests: 2, notModified: 1, downloads: 1 });
  });

  it("makes no request without a config repository (a stack with only its packaged targets)", async () => {
    // Prepare
    const store = memoryObjectStore({ [STORED_CONFIG_KEY]: storedConfig() });
    const current = createCurrentConfigSource(stackWith(), store);

    // Act
    const targets = await current.targets();

    // Assess
    expect(targets.targets.map((t) => t.name)).toEqual(["legacy"]);
    expect(store.calls).toEqual([]);
  });

  it("ignores a config stored from another repository or path, and keeps the stack file's name on a clash", async () => {
    // Prepare
    const elsewhere = createCurrentConfigSource(
      stack,
      memoryObjectStore({ [STORED_CONFIG_KEY]: storedConfig({ path: "other" }) }),
    );
    const clash = createCurrentConfigSource(
      stack,
      memoryObjectStore({ [STORED_CONFIG_KEY]: storedConfig({ targets: [{ ...web, name: "legacy" }] }) }),
    );

    // Act / Assess
    expect((await elsewhere.targets()).targets.map((t) => t.name)).toEqual(["legacy"]);
    expect((await clash.targets()).targets.map((t) => [t.name, t.repo])).toEqual([["legacy", "acme/legacy"]]);
  });

  it("refuses an object that is not a stored config, naming it", async () => {
    // Prepare
    const current = createCurrentConfigSource(
      stack,
      memoryObjectStore({ [STORED_CONFIG_KEY]: '{"format":"x"}' }),
    );

    // Act / Assess
    await expect(current.targets()).rejects.toThrow(
      "state store: s3://memory/config/current.json is not a pullbridge.config/v1 document",
    );
  });
});
