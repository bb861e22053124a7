/**
 * Which key prefixes of the state bucket each function may use (infra/iam.ts turns each into
 * `s3:GetObject` / `s3:PutObject` / `s3:DeleteObject` on `${StateBucket.Arn}/<prefix>*` only).
 * One owner writes each prefix (WAVE 3 contracts); the others read.
 */
import { VERDICTS_PREFIX } from "../lib/health/health-verdicts.ts";
import type { StateGrant } from "./iam.ts";

type GrantedFunction = "webhook" | "worker" | "health" | "drift" | "imagesIntake" | "images";

/** `config/`: the config in force and the live preview environments — written by config and environment jobs, read by every router. */
const CONFIG_READ: StateGrant = { prefix: "config/", access: "read" };

/**
 * Fleet scale (issue 26): the worker reads and writes branch heads, the artifact cache and routing
 * records; the webhook only reads routing records (to route a push).
 */
const FLEET_WORKER: readonly StateGrant[] = [
  { prefix: "heads/", access: "read-write" },
  { prefix: "cache/trees/", access: "read-write" },
  { prefix: "cache/renders/", access: "read-write" },
  { prefix: "routing/", access: "read-write" },
];

export const STATE_GRANTS: Partial<Record<GrantedFunction, readonly StateGrant[]>> = {
  webhook: [CONFIG_READ, { prefix: "routing/", access: "read" }],
  // Health verdicts: the health consumer records them (its only write anywhere); the worker reads
  // them for `dependsOn`.
  worker: [
    { prefix: "config/", access: "read-write" },
    { prefix: VERDICTS_PREFIX, access: "read" },
    ...FLEET_WORKER,
  ],
  health: [CONFIG_READ, { prefix: VERDICTS_PREFIX, access: "read-write" }],
  drift: [CONFIG_READ],
  imagesIntake: [CONFIG_READ],
  images: [CONFIG_READ],
};
