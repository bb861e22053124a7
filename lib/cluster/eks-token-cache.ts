/**
 * Per-container cache of EKS tokens, one per (identity, region, cluster). A warm worker reuses a token
 * for most of its 15-minute life instead of presigning on every job, and renews it a margin
 * before expiry so a sync that starts with the token never outlives it mid-apply.
 */
import {
  type AwsCredentials,
  type AwsCredentialsProvider,
  type CreateEksTokenOptions,
  createEksToken,
  type EksToken,
} from "./adapters/eks-token.ts";

/** Which cluster a token is for, and who signs it: the cache's own credentials unless `identity` is given. */
export type EksTokenRequest = {
  readonly clusterName: string;
  readonly region: string;
  readonly identity?: AwsIdentity | undefined;
};

/**
 * Credentials other than the cache's own (an assumed role), and a key naming them (the role ARN,
 * also shown in messages): two clusters with one name and region in two accounts get two tokens,
 * each signed by its own role.
 */
export type AwsIdentity = { readonly key: string; readonly credentials: AwsCredentialsProvider };

/** Hands out a token that stays valid for at least the refresh margin. */
export type EksTokenCache = { get(request: EksTokenRequest): Promise<EksToken> };

export type EksTokenCacheOptions = {
  credentials: AwsCredentials | AwsCredentialsProvider;
  /** The clock (injected so tests never wait). */
  now: () => Date;
  /** Renew this long before `expiresAt`; the default mirrors aws-iam-authenticator's 1-minute cushion. */
  refreshBeforeExpiryMs?: number;
  /** Token factory; defaults to `createEksToken`. */
  createToken?: (options: CreateEksTokenOptions) => Promise<EksToken>;
};

const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000;

type Entry = { readonly pending: Promise<EksToken>; token?: EksToken };

/** Creates a token cache; build it once per container (module scope of the handler). */
export function createEksTokenCache(options: EksTokenCacheOptions): EksTokenCache {
  const { credentials, now } = options;
  const refreshBefore = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
  const createToken = options.createToken ?? createEksToken;
  const entries = new Map<string, Entry>();

  return {
    get(request) {
      const key = JSON.stringify([request.identity?.key ?? null, request.region, request.clusterName]);
      const cached = entries.get(key);
      const fresh =
        cached !== undefined &&
        (cached.token === undefined || // still being created: share it
          cached.token.expiresAt.getTime() - refreshBefore > now().getTime());
      if (cached !== undefined && fresh) return cached.pending;

      const pending = createToken({
        clusterName: request.clusterName,
        region: request.region,
        credentials: request.identity?.credentials ?? credentials,
        now: now(),
      });
      const entry: Entry = { pending };
      entries.set(key, entry);
      // Handled both ways, so this bookkeeping promise cannot reject.
      void pending.then(
        (token) => {
          entry.token = token;
        },
        () => {
          // A failed creation must not be served again; the caller sees the rejection itself.
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return pending;
    },
  };
}
