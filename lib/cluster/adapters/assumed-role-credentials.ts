/**
 * Credentials of the IAM roles clusters name (`clusters.<name>.roleArn`), from STS AssumeRole with
 * the function's own credentials, cached per container until 5 minutes before they expire.
 *
 * One session per cluster and function (`pullbridge-worker-prod`): the session name is stable, so
 * CloudTrail in the cluster's account shows which function reached which cluster, and the cache
 * key is the session. Per-delivery data (the delivery id) belongs in the logs, never in the
 * session name: STS caps it at 64 characters and a varying name would defeat the cache.
 *
 * The STS SDK is loaded on the first AssumeRole, not at module load (docs/decisions/0007): a
 * container that never reaches a cross-account cluster never pays for it.
 */
import { createHash } from "node:crypto";
import type { AssumeRoleCommandOutput, STSClient } from "@aws-sdk/client-sts";
import { ClusterError } from "../../errors.ts";
import { classifyAwsError } from "../credentials-aws-errors.ts";
import { type AwsCredentials, type AwsCredentialsProvider, sdkCredentialsOf } from "./eks-token.ts";

/** Which role, for which cluster. */
export type AssumeRoleRequest = {
  readonly roleArn: string;
  readonly externalId?: string | undefined;
  /** Key of the cluster in the targets file: part of the session name and of the cache key. */
  readonly cluster: string;
  /** Region to call STS in when the source has none of its own (the cluster's). */
  readonly region: string;
};

/** Hands out a credentials provider per role; build it once per container. */
export type AssumedRoleCredentials = { forRole(request: AssumeRoleRequest): AwsCredentialsProvider };

/** What was assumed, for the function's log (never the credentials themselves). */
export type AssumedRoleEvent = {
  roleArn: string;
  sessionName: string;
  cluster: string;
  expiration: Date | undefined;
};

export type AssumedRoleCredentialsOptions = {
  /** The function (`worker`, `health`, `cli`): the session name is `pullbridge-<function>-<cluster>`. */
  functionName: string;
  /** The caller's own credentials (the SDK's default chain unless given). */
  baseCredentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  /**
   * Region of the STS endpoint called: the function's own (in a VPC, where its STS interface
   * endpoint is). Without it, the cluster's region. Credentials from any regional endpoint work
   * in every region of the partition.
   */
  region?: string | undefined;
  /** STS endpoint override (tests: the STS emulator); the SDK also honours `AWS_ENDPOINT_URL_STS`. */
  endpoint?: string | undefined;
  now: () => Date;
  /** Assume again this long before the credentials expire; at least 5 minutes. */
  refreshBeforeExpiryMs?: number;
  /** Told about each AssumeRole that succeeded. */
  onAssumed?: (event: AssumedRoleEvent) => void;
};

/** Five minutes, as the AWS SDKs refresh their own temporary credentials. */
export const ASSUMED_ROLE_REFRESH_MS = 5 * 60_000;
const MAX_SESSION_NAME = 64;

/** The STS SDK module, imported once on first use. */
let stsSdk: Promise<typeof import("@aws-sdk/client-sts")> | undefined;
const loadStsSdk = () => {
  stsSdk ??= import("@aws-sdk/client-sts");
  return stsSdk;
};

/**
 * `pullbridge-<function>-<cluster>`, within STS's 64 characters and its alphabet: a longer name
 * keeps its start and ends in a digest of the whole, so two long cluster names never share a session.
 */
export function roleSessionName(functionName: string, cluster: string): string {
  const name = `pullbridge-${functionName}-${cluster}`.replace(/[^\w+=,.@-]/g, "-");
  if (name.length <= MAX_SESSION_NAME) return name;
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_SESSION_NAME - digest.length - 1)}-${digest}`;
}

type Entry = { readonly pending: Promise<AwsCredentials>; credentials?: AwsCredentials };

/** Creates the per-container source of assumed-role credentials. */
export function createAssumedRoleCredentials(options: AssumedRoleCredentialsOptions): AssumedRoleCredentials {
  const refreshBefore = Math.max(ASSUMED_ROLE_REFRESH_MS, options.refreshBeforeExpiryMs ?? 0);
  const clients = new Map<string, Promise<STSClient>>();
  const entries = new Map<string, Entry>();

  const client = (region: string): Promise<STSClient> => {
    let existing = clients.get(region);
    if (existing === undefined) {
      existing = loadStsSdk().then(
        ({ STSClient }) =>
          new STSClient({
            region,
            ...(options.baseCredentials === undefined
              ? {}
              : { credentials: sdkCredentialsOf(options.baseCredentials) }),
            ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          }),
      );
      clients.set(region, existing);
    }
    return existing;
  };

  const assume = async (request: AssumeRoleRequest, sessionName: string): Promise<AwsCredentials> => {
    const [{ AssumeRoleCommand }, sts] = await Promise.all([
      loadStsSdk(),
      client(options.region ?? request.region),
    ]);
    let c: AssumeRoleCommandOutput["Credentials"];
    try {
      ({ Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: sessionName,
          ...(request.externalId === undefined ? {} : { ExternalId: request.externalId }),
        }),
      ));
    } catch (error) {
      throw assumeRoleError(request, options.functionName, error);
    }
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new ClusterError(
        `cannot assume role ${request.roleArn} for cluster "${request.cluster}": STS answered without credentials`,
        { retryable: true },
      );
    }
    options.onAssumed?.({
      roleArn: request.roleArn,
      sessionName,
      cluster: request.cluster,
      expiration: c.Expiration,
    });
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  };

  return {
    forRole(request) {
      const sessionName = roleSessionName(options.functionName, request.cluster);
      const key = JSON.stringify([request.roleArn, request.externalId ?? null, sessionName]);
      return async () => {
        const cached = entries.get(key);
        const expiresAt = cached?.credentials?.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
        const fresh =
          cached !== undefined &&
          // Still being assumed: share it. Assumed: keep it until the refresh margin.
          (cached.credentials === undefined || expiresAt - refreshBefore > options.now().getTime());
        if (cached !== undefined && fresh) return cached.pending;
        const pending = assume(request, sessionName);
        const entry: Entry = { pending };
        entries.set(key, entry);
        // Handled both ways, so this bookkeeping promise cannot reject.
        void pending.then(
          (credentials) => {
            entry.credentials = credentials;
          },
          () => {
            // A failure is not remembered: the next job asks STS again.
            if (entries.get(key) === entry) entries.delete(key);
          },
        );
        return pending;
      };
    },
  };
}

/**
 * The failure in words a person can act on. STS answers `AccessDenied` alike for a role that does
 * not exist, a trust policy that does not trust the caller and an external id that does not match
 * (so that a caller cannot probe another account), so the message lists what to check; it is
 * precise where STS is: the caller's own policy, an explicit deny, a disabled STS region.
 */
function assumeRoleError(request: AssumeRoleRequest, functionName: string, error: unknown): ClusterError {
  const facts = classifyAwsError(error);
  const role = `role ${request.roleArn} for cluster "${request.cluster}" (${functionName} function)`;
  let reason: string;
  if (facts.code === "AccessDenied" || facts.code === "AccessDeniedException") {
    if (/no identity-based policy allows/i.test(facts.message)) {
      reason =
        "not authorized to assume it: this function's own IAM policy does not allow sts:AssumeRole on it (the stack grants it only for the roles of the packaged targets file: package and deploy again after adding the cluster)";
    } else if (/explicit deny/i.test(facts.message)) {
      reason =
        "not authorized to assume it: an explicit deny (a service control policy or permissions boundary)";
    } else {
      const externalId =
        request.externalId === undefined
          ? "the trust policy requires an external id and the cluster names none (`externalId`)"
          : "the external id does not match the trust policy's sts:ExternalId";
      reason = `not authorized to assume it: the role is missing, its trust policy does not trust this function's role, or ${externalId} (STS does not say which)`;
    }
  } else if (facts.code === "RegionDisabledException") {
    reason = "STS is not activated in the region it was called in (IAM → Account settings → STS endpoints)";
  } else if (facts.code === "ValidationError") {
    reason = "STS refused the request as invalid";
  } else {
    reason = facts.retryable ? "STS is unavailable or throttling (retried)" : "STS refused the request";
  }
  return new ClusterError(`cannot assume ${role}: ${reason}. ${facts.code}: ${facts.message}`, {
    cause: error,
    retryable: facts.retryable,
    status: facts.status,
  });
}
