/** Routes a verified delivery on `X-GitHub-Event`. Pure: no I/O, no clock. */
import type { GitHubDelivery } from "./parse-delivery.ts";
import {
  type DeliveryFacts,
  IgnoreCode,
  payloadRepo,
  type RoutableTarget,
  type RouteDecision,
} from "./route-decision.ts";
import { routePullRequest } from "./route-pull-request.ts";
import { type DerivedRoutes, routePush } from "./route-push.ts";

/** Decides what a verified delivery means for the configured targets. */
export function routeDelivery(
  delivery: GitHubDelivery,
  targets: readonly RoutableTarget[],
  receivedAt: string,
  derived?: DerivedRoutes,
): RouteDecision {
  const facts: DeliveryFacts = { deliveryId: delivery.deliveryId, receivedAt };
  const repo = payloadRepo(delivery.payload);
  switch (delivery.event) {
    case "ping":
      return { kind: "ping", repo };
    case "push":
      return routePush(delivery.payload, targets, facts, derived);
    case "pull_request":
      return routePullRequest(delivery.payload, targets, facts);
    default:
      return {
        kind: "ignore",
        repo,
        code: IgnoreCode.UnhandledEvent,
        reason: `event ${delivery.event} is not handled`,
      };
  }
}
