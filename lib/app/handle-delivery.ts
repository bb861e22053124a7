/**
 * Use case: one GitHub webhook delivery → verified → routed → jobs on the queue → HTTP answer.
 *
 * Order matters for safety: size limit (413) before anything is decoded or hashed, signature
 * (401) before anything is parsed, headers and JSON (400) only for verified bodies. A 5xx is
 * answered only when a dependency (the queue, the secret store) is unavailable, so GitHub marks
 * the delivery failed and it can be redelivered; the dedup id makes the redelivery safe.
 */
import { DeliveryError, describeError } from "../errors.ts";
import { parsePackageDelivery } from "../images/image-event.ts";
import type { ImageJobQueue } from "../images/image-job-queue.ts";
import type { ImageRoutableTarget } from "../images/route-image-event.ts";
import { type ConfigDeliveryJobInput, type Job, validateJob } from "../jobs/job-codec.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
import type { DeliveryMetrics } from "../telemetry/delivery-metrics.ts";
import type { Log } from "../telemetry/log.ts";
import {
  type DeliveryRequest,
  type DeliveryResponse,
  jsonResponse,
  normalizeHeaders,
} from "../webhook/delivery-http.ts";
import { type GitHubDelivery, parsePayload, readDeliveryHeaders } from "../webhook/parse-delivery.ts";
import { readRawBody } from "../webhook/read-raw-body.ts";
import { type ConfigRoute, type ConfigRouting, routeConfigEvents } from "../webhook/route-config.ts";
import type { RoutableTarget, RouteDecision } from "../webhook/route-decision.ts";
import { routeDelivery } from "../webhook/route-delivery.ts";
import { type DerivedRoutes, NO_DERIVED_ROUTES, pushBranchOf } from "../webhook/route-push.ts";
import { SIGNATURE_HEADER, verifySignature } from "../webhook/verify-signature.ts";
import { handleImageEvent } from "./handle-image-event.ts";

/** Coarse outcome of a delivery; the `decision` metric dimension and log field. */
const DeliveryDecision = {
  Queued: "queued",
  Ping: "ping",
  Ignored: "ignored",
  Unauthorized: "unauthorized",
  BadRequest: "bad_request",
  TooLarge: "too_large",
  QueueError: "queue_error",
  SecretsError: "secrets_error",
  ConfigError: "config_error",
  Error: "error",
} as const;
export type DeliveryDecision = (typeof DeliveryDecision)[keyof typeof DeliveryDecision];

export type DeliveryHandlerDeps = {
  /** Current webhook secrets (first = current; more while rotating). Cached by the provider. */
  readonly secrets: () => Promise<readonly string[]>;
  readonly targets: readonly RoutableTarget[];
  readonly queue: JobQueue;
  readonly log: Log;
  readonly metrics: DeliveryMetrics;
  readonly maxBodyBytes: number;
  /** Wall clock, for the job's `receivedAt`. */
  readonly now: () => Date;
  /** Monotonic milliseconds, for handler latency. */
  readonly monotonicMs: () => number;
  /** Image automation: GHCR `package` / `registry_package` deliveries become image jobs here. */
  readonly images?: { readonly queue: ImageJobQueue; readonly targets: readonly ImageRoutableTarget[] };
  /**
   * Derived routing: what each target's last render read, for a push's branch (the state bucket's
   * `routing/`, read-only). Without it a push routes by path and `watch` only.
   */
  readonly routing?: (repo: string, branch: string) => Promise<DerivedRoutes>;
  /**
   * The config in force, read per verified delivery (the stored config: one conditional GET).
   * Without it, `targets` are routed and nothing goes to the config repository's jobs.
   */
  readonly config?: () => Promise<DeliveryConfig>;
};

/** The targets in force and what routes to the config repository and its generators. */
export type DeliveryConfig = {
  readonly targets: readonly (RoutableTarget & ImageRoutableTarget)[];
  readonly routing: ConfigRouting;
};

/** Deliveries that announce a registry package (GHCR containers among them). */
const PACKAGE_EVENTS: ReadonlySet<string> = new Set(["package", "registry_package"]);

export type DeliveryHandler = (request: DeliveryRequest) => Promise<DeliveryResponse>;

const STATUS_DECISION: Record<400 | 401 | 413, DeliveryDecision> = {
  400: DeliveryDecision.BadRequest,
  401: DeliveryDecision.Unauthorized,
  413: DeliveryDecision.TooLarge,
};

/** 503 with a retry hint; the message names the dependency, never its error text. */
function unavailable(message: string): DeliveryResponse {
  const response = jsonResponse(503, { error: `${message}; redeliver later` });
  return { ...response, headers: { ...response.headers, "retry-after": "30" } };
}

/** An unverified header value, made safe to log (bounded, printable). */
function untrusted(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.replace(/[^\w.:-]/g, "?").slice(0, 64);
}

/**
 * The push's branch's routing data. When it cannot be read, every target of the branch is
 * treated as having no record (each gets the push): a few no-op syncs rather than a missed change,
 * and the delivery is still accepted.
 */
async function derivedRoutes(
  deps: DeliveryHandlerDeps,
  payload: unknown,
  note: (fields: Record<string, unknown>) => void,
): Promise<DerivedRoutes | undefined> {
  const branch = pushBranchOf(payload);
  if (deps.routing === undefined || branch === undefined) return undefined;
  try {
    return await deps.routing(branch.repo, branch.branch);
  } catch (error) {
    note({ routingUnavailable: describeError(error) });
    return NO_DERIVED_ROUTES;
  }
}

/**
 * The targets' route with the config repository's jobs added: a delivery the targets ignore
 * (a push to the config repository, a pull request closing) may still queue config jobs.
 */
function withConfigJobs(
  route: RouteDecision,
  config: ConfigRoute | undefined,
):
  | Exclude<RouteDecision, { kind: "queue" }>
  | (Extract<RouteDecision, { kind: "queue" }> & { configJobs: readonly ConfigDeliveryJobInput[] }) {
  const configJobs = config?.jobs ?? [];
  if (route.kind === "queue") {
    const reason = [route.reason, ...(config?.reasons ?? [])].join("; ");
    return { ...route, reason, configJobs };
  }
  if (route.kind !== "ignore" || configJobs.length === 0) return route;
  return {
    kind: "queue",
    repo: route.repo ?? "unknown",
    jobs: [],
    configJobs,
    reason: (config?.reasons ?? []).join("; "),
  };
}

/** Builds the delivery handler from its ports. */
export function createDeliveryHandler(deps: DeliveryHandlerDeps): DeliveryHandler {
  return async function handleDelivery(request) {
    const started = deps.monotonicMs();
    const headers = normalizeHeaders(request.headers);
    let event = "unverified";
    let decision: DeliveryDecision = DeliveryDecision.Error;
    let jobsQueued = 0;
    let signatureFailure = false;
    let logFields: Record<string, unknown> = {
      // Unverified until the signature matches; logged to correlate with GitHub's delivery log.
      deliveryId: untrusted(headers.get("x-github-delivery")),
      claimedEvent: untrusted(headers.get("x-github-event")),
      sourceIp: request.sourceIp,
    };

    const finish = (
      response: DeliveryResponse,
      message: string,
      level: "info" | "warn" | "error" = "info",
    ) => {
      const latencyMs = deps.monotonicMs() - started;
      deps.metrics.record({ event, decision, jobsQueued, signatureFailure, latencyMs });
      deps.log[level](message, { ...logFields, decision, status: response.statusCode, latencyMs });
      return response;
    };

    try {
      const body = readRawBody(request, deps.maxBodyBytes);

      let secrets: readonly string[];
      try {
        secrets = await deps.secrets();
      } catch (error) {
        // Without secrets nothing can be verified; 503 lets GitHub show a redeliverable failure.
        decision = DeliveryDecision.SecretsError;
        logFields = { ...logFields, error: describeError(error) };
        return finish(unavailable("webhook secrets unavailable"), "cannot load webhook secrets", "error");
      }
      const check = await verifySignature(secrets, body, headers.get(SIGNATURE_HEADER));
      if (!check.valid) {
        signatureFailure = true;
        decision = DeliveryDecision.Unauthorized;
        logFields = { ...logFields, signature: check.reason };
        // Same answer for every failure: do not tell a prober which part was wrong.
        return finish(jsonResponse(401, { error: "signature does not match" }), "delivery refused", "warn");
      }
      logFields = { ...logFields, secretIndex: check.secretIndex };

      const { event: verifiedEvent, deliveryId } = readDeliveryHeaders(headers);
      event = verifiedEvent;
      const delivery: GitHubDelivery = {
        event,
        deliveryId,
        payload: parsePayload(body, headers.get("content-type")),
      };
      const { claimedEvent: _claimed, ...rest } = logFields;
      logFields = { ...rest, deliveryId, event };

      let targets: readonly RoutableTarget[] = deps.targets;
      let imageTargets = deps.images?.targets;
      let routing: ConfigRouting | undefined;
      if (deps.config !== undefined) {
        try {
          const config = await deps.config();
          targets = config.targets;
          imageTargets = config.targets;
          routing = config.routing;
        } catch (error) {
          // Routing with a stale or partial view could drop a push: let GitHub redeliver it instead.
          decision = DeliveryDecision.ConfigError;
          logFields = { ...logFields, error: describeError(error) };
          return finish(unavailable("stored config unavailable"), "cannot read the stored config", "error");
        }
      }

      if (deps.images !== undefined && PACKAGE_EVENTS.has(event)) {
        const parsed = parsePackageDelivery(event, deliveryId, delivery.payload);
        let intake: Awaited<ReturnType<typeof handleImageEvent>>;
        try {
          intake = await handleImageEvent(parsed, {
            ...deps.images,
            targets: imageTargets ?? deps.images.targets,
            now: deps.now,
          });
        } catch (error) {
          decision = DeliveryDecision.QueueError;
          logFields = { ...logFields, error: describeError(error) };
          return finish(unavailable("image queue unavailable"), "cannot queue image jobs", "error");
        }
        if (intake.kind === "rejected") {
          decision = DeliveryDecision.Ignored;
          logFields = { ...logFields, ignoreCode: intake.code, reason: intake.reason };
          return finish(jsonResponse(202, { queued: [], ignored: intake.reason }), "image event ignored");
        }
        decision = DeliveryDecision.Queued;
        jobsQueued = intake.jobs;
        logFields = { ...logFields, reason: intake.reason, messageIds: intake.messageIds };
        return finish(jsonResponse(202, { queued: [], imageJobs: intake.jobs }), "image jobs queued");
      }

      const receivedAt = deps.now().toISOString();
      const derived =
        event === "push"
          ? await derivedRoutes(deps, delivery.payload, (fields) => {
              logFields = { ...logFields, ...fields };
            })
          : undefined;
      const route = withConfigJobs(
        routeDelivery(delivery, targets, receivedAt, derived),
        routing === undefined
          ? undefined
          : routeConfigEvents(event, delivery.payload, routing, { deliveryId, receivedAt }),
      );
      switch (route.kind) {
        case "ping":
          decision = DeliveryDecision.Ping;
          logFields = { ...logFields, repo: route.repo };
          return finish(jsonResponse(200, { queued: [], ignored: "ping" }), "ping");
        case "invalid":
          decision = DeliveryDecision.BadRequest;
          logFields = { ...logFields, reason: route.reason };
          return finish(jsonResponse(400, { error: route.reason }), "delivery refused", "warn");
        case "ignore":
          decision = DeliveryDecision.Ignored;
          logFields = { ...logFields, repo: route.repo, ignoreCode: route.code, reason: route.reason };
          return finish(jsonResponse(202, { queued: [], ignored: route.reason }), "delivery ignored");
        case "queue": {
          const jobs: Job[] = [...route.jobs, ...route.configJobs].map(validateJob);
          logFields = { ...logFields, repo: route.repo, reason: route.reason };
          let result: Awaited<ReturnType<JobQueue["enqueue"]>>;
          try {
            result = await deps.queue.enqueue(jobs);
          } catch (error) {
            decision = DeliveryDecision.QueueError;
            logFields = { ...logFields, targets: jobs.map((j) => j.target), error: describeError(error) };
            return finish(unavailable("job queue unavailable"), "cannot queue jobs", "error");
          }
          jobsQueued = result.queued.length;
          decision = DeliveryDecision.Queued;
          const queued = jobs.map((j) => j.target);
          logFields = {
            ...logFields,
            queued,
            messageIds: result.queued.map((q) => q.messageId),
          };
          return finish(jsonResponse(202, { queued }), "jobs queued");
        }
      }
    } catch (error) {
      if (error instanceof DeliveryError) {
        decision = STATUS_DECISION[error.statusCode];
        if (error.statusCode === 401) signatureFailure = true;
        logFields = { ...logFields, reason: error.message };
        return finish(jsonResponse(error.statusCode, { error: error.message }), "delivery refused", "warn");
      }
      decision = DeliveryDecision.Error;
      logFields = { ...logFields, error: describeError(error) };
      return finish(jsonResponse(500, { error: "internal error" }), "delivery failed", "error");
    }
  };
}
