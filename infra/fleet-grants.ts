/**
 * The state-bucket key prefixes fleet scale uses (issue 26), per function: the worker reads and
 * writes branch heads, the artifact cache and routing records; the webhook only reads routing
 * records (to route a push); drift, health and image functions get nothing from here.
 */
import type { StateGrant } from "./iam.ts";

/** Grants for `buildIamResources({ stateGrants })`. */
export const FLEET_STATE_GRANTS: { worker: readonly StateGrant[]; webhook: readonly StateGrant[] } = {
  worker: [
    { prefix: "heads/", access: "read-write" },
    { prefix: "cache/trees/", access: "read-write" },
    { prefix: "cache/renders/", access: "read-write" },
    { prefix: "routing/", access: "read-write" },
  ],
  webhook: [{ prefix: "routing/", access: "read" }],
};
