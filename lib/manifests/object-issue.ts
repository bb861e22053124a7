import type { ValuePath } from "./locate-yaml-node.ts";

/** A problem with one object, pointing at the field (relative to the object) that causes it. */
export type ObjectIssue = { path: ValuePath; reason: string };
