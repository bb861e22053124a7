/**
 * What routing decided for a verified delivery. Pure data: the use case turns it into jobs on
 * the queue and an HTTP answer. "Ignored" is an expected outcome, not an error.
 */
import type { Target } from "../config/targets.ts";
import type { DeliveryJobInput } from "../jobs/job-codec.ts";

/** The target fields routing looks at. */
export type RoutableTarget = Pick<Target, "name" | "repo" | "branch" | "path" | "preview"> & {
  /** More directories the target is rendered from (an overlay's base): pushes there route to it too. */
  watch?: readonly string[] | undefined;
};

/** Why a delivery queued nothing; stable codes for logs and tests (the reason text is for humans). */
export const IgnoreCode = {
  TagPush: "tag-push",
  NotABranch: "not-a-branch",
  BranchDeleted: "branch-deleted",
  UntrackedRepository: "untracked-repository",
  UntrackedBranch: "untracked-branch",
  NoTargetChanged: "no-target-changed",
  UnhandledEvent: "unhandled-event",
  UnhandledAction: "unhandled-action",
  NoPreviewTarget: "no-preview-target",
} as const;
export type IgnoreCode = (typeof IgnoreCode)[keyof typeof IgnoreCode];

export type RouteDecision =
  | { readonly kind: "ping"; readonly repo: string | undefined }
  | {
      readonly kind: "queue";
      readonly repo: string;
      readonly jobs: readonly DeliveryJobInput[];
      /** Why these targets, e.g. "paths changed" or "forced push: every target on the branch". */
      readonly reason: string;
    }
  | {
      readonly kind: "ignore";
      readonly repo: string | undefined;
      readonly code: IgnoreCode;
      readonly reason: string;
    }
  /** The payload lacks a field routing needs (answered 400; GitHub never sends this). */
  | { readonly kind: "invalid"; readonly reason: string };

/** Facts about the delivery that every job carries. */
export type DeliveryFacts = {
  readonly deliveryId: string;
  /** ISO 8601; the caller reads the clock, routing does not. */
  readonly receivedAt: string;
};

/** GitHub repository names are case-insensitive. */
export function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function property(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** `repository.full_name` when present, for logs of deliveries routing does not otherwise read. */
export function payloadRepo(payload: unknown): string | undefined {
  const name = property(property(payload, "repository"), "full_name");
  return typeof name === "string" ? name : undefined;
}

/** `action` when present. */
export function payloadAction(payload: unknown): string | undefined {
  const action = property(payload, "action");
  return typeof action === "string" ? action : undefined;
}
