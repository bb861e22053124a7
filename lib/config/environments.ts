/**
 * The live preview environments (`pullRequests` generators), kept by the worker in one state
 * object so that the per-project cap is decided by compare-and-swap (two pull requests opened at
 * once cannot both take the last place) and the drift schedule can remove the environments whose
 * `closed` event was missed (`ttlHours` after their last push).
 */
import * as z from "zod";
import type { Target } from "./targets.ts";

/** Key of the live environments in the state bucket. */
export const ENVIRONMENTS_KEY = "config/environments.json";

const liveEnvironment = z.object({
  /** The environment's target name: `<generator>-pr-<number>`. */
  name: z.string(),
  generator: z.string(),
  project: z.string(),
  repo: z.string(),
  number: z.number(),
  branch: z.string(),
  headSha: z.string(),
  createdAt: z.string(),
  /** The last push synced (ISO 8601): the time limit counts from it. */
  lastSyncAt: z.string(),
  ttlHours: z.number(),
  /** The target as expanded for this pull request: what a removal deletes. Written by the worker after validation. */
  target: z.custom<Target>((value) => typeof value === "object" && value !== null),
});

export const environmentsSchema = z.object({
  format: z.literal("pullbridge.environments/v1"),
  environments: z.array(liveEnvironment),
});

export type LiveEnvironment = z.infer<typeof liveEnvironment>;
export type Environments = z.infer<typeof environmentsSchema>;

/** An empty set of environments, for the first write. */
export const NO_ENVIRONMENTS: Environments = { format: "pullbridge.environments/v1", environments: [] };

/** Environments whose last push is older than their time limit at `now`. */
export function expiredEnvironments(envs: Environments, now: Date): LiveEnvironment[] {
  return envs.environments.filter((e) => Date.parse(e.lastSyncAt) + e.ttlHours * 3_600_000 <= now.getTime());
}
