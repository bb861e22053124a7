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

export const STATE_GRANTS: Partial<Record<GrantedFunction, readonly StateGrant[]>> = {
  webhook: [CONFIG_READ],
  // Health verdicts: the health consumer records them (its only write anywhere); the worker reads
  // them for `dependsOn`.
  worker: [
    { prefix: "config/", access: "read-write" },
    { prefix: VERDICTS_PREFIX, access: "read" },
  ],
  health: [CONFIG_READ, { prefix: VERDICTS_PREFIX, access: "read-write" }],
  drift: [CONFIG_READ],
  imagesIntake: [CONFIG_READ],
  images: [CONFIG_READ],
};
