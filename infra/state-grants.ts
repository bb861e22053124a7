/**
 * Which key prefixes of the state bucket each function may use (infra/iam.ts turns each into
 * `s3:GetObject` / `s3:PutObject` / `s3:DeleteObject` on `${StateBucket.Arn}/<prefix>*` only).
 * One owner writes each prefix (WAVE 3 contracts); the others read.
 */
import type { StateGrant } from "./iam.ts";

type GrantedFunction = "webhook" | "worker" | "health" | "drift" | "imagesIntake" | "images";

/** `config/`: the config in force and the live preview environments — written by config and environment jobs, read by every router. */
const CONFIG_READ: StateGrant = { prefix: "config/", access: "read" };

export const STATE_GRANTS: Partial<Record<GrantedFunction, readonly StateGrant[]>> = {
  webhook: [CONFIG_READ],
  worker: [{ prefix: "config/", access: "read-write" }],
  health: [CONFIG_READ],
  drift: [CONFIG_READ],
  imagesIntake: [CONFIG_READ],
  images: [CONFIG_READ],
};
