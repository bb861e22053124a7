/**
 * The EKS authenticator in the harness: a TokenReview webhook (kube-apiserver
 * `--authentication-token-webhook-config-file`) that does what aws-iam-authenticator does with a
 * `k8s-aws-v1.` token — decode the presigned STS `GetCallerIdentity` URL, check it (host, action,
 * signed `x-k8s-aws-id`, 15-minute life), replay it against STS (here moto) to learn who signed it,
 * and map that ARN to a Kubernetes user and groups through access entries — so RBAC in the real
 * API server sees the assumed role's identity.
 *
 * Two things moto does not do, done here instead:
 * - It does not check signatures. The webhook verifies each token's signature with the secret STS
 *   issued for its access key (moto's own record of the AssumeRole, `/moto-api/data.json`) using
 *   the independent verifier (test/support/sigv4.ts). A token signed with other credentials, or for
 *   another cluster, is refused.
 * - It reads the caller from an `Authorization` header only, never from a presigned query. The
 *   replay carries the query's credential and signature in header form.
 *
 * One API server plays several EKS clusters here (one per name, region and account in a test):
 * the cluster a token is for is the one whose name makes its signature valid — what a real
 * authenticator checks against its single cluster id — and access entries are per cluster, as in EKS.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expectedPresignedSignature } from "./sigv4.ts";

/** An EKS access entry: a role (canonical IAM ARN) of a cluster mapped to a user and groups. */
export type AccessEntry = {
  /** The EKS cluster name the token was made for (`x-k8s-aws-id`). */
  cluster: string;
  /** `arn:aws:iam::<account>:role/<name>` (no path, as aws-iam-authenticator compares them). */
  principalArn: string;
  /** Default: EKS's `arn:aws:sts::<account>:assumed-role/<name>/{{SessionName}}`. */
  username?: string;
  groups: string[];
};

/** One TokenReview the webhook answered. */
export type TokenReviewRecord = {
  authenticated: boolean;
  /** Why a token was refused. */
  reason?: string;
  cluster?: string;
  /** Region of the STS host the token was presigned for. */
  region?: string;
  accessKeyId?: string;
  /** What STS (moto) answered to the replayed GetCallerIdentity. */
  arn?: string;
  username?: string;
  groups?: string[];
};

/** An assumed role as moto recorded it. */
export type AssumedRoleRecord = {
  access_key_id: string;
  secret_access_key: string;
  session_token: string;
  session_name: string;
  role_arn: string;
  external_id: string | null;
  account_id: string;
  arn: string;
};

/** Every AssumeRole moto has answered (its model dump; moto runs one request at a time). */
export async function assumedRoles(motoEndpoint: string): Promise<AssumedRoleRecord[]> {
  const response = await fetch(`${motoEndpoint}/moto-api/data.json`);
  const data = (await response.json()) as { sts?: { AssumedRole?: AssumedRoleRecord[] } };
  return data.sts?.AssumedRole ?? [];
}

const TOKEN_PREFIX = "k8s-aws-v1.";
const TOKEN_LIFETIME_MS = 15 * 60_000;
/** The query parameters aws-iam-authenticator accepts in a token's URL. */
const ALLOWED_PARAMS = new Set([
  "action",
  "version",
  "x-amz-algorithm",
  "x-amz-credential",
  "x-amz-date",
  "x-amz-expires",
  "x-amz-security-token",
  "x-amz-signature",
  "x-amz-signedheaders",
]);

type Refusal = { refused: string; region?: string; accessKeyId?: string };

function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export type TokenWebhook = {
  /** `http://127.0.0.1:<port>`: TokenReviews at `/authenticate`, access entries at `/access-entries`. */
  url: string;
  stop(): Promise<void>;
};

/** Starts the webhook; `stsEndpoint` is where tokens are replayed (moto), resolved on first use. */
export async function startTokenWebhook(options: {
  stsEndpoint: () => Promise<string>;
  now?: () => Date;
}): Promise<TokenWebhook> {
  const now = options.now ?? (() => new Date());
  const entries: AccessEntry[] = [];
  const reviews: TokenReviewRecord[] = [];
  const secrets = new Map<string, string>();

  const secretOf = async (accessKeyId: string): Promise<string | undefined> => {
    if (!secrets.has(accessKeyId)) {
      for (const role of await assumedRoles(await options.stsEndpoint())) {
        secrets.set(role.access_key_id, role.secret_access_key);
      }
    }
    return secrets.get(accessKeyId);
  };

  const review = async (token: string): Promise<TokenReviewRecord> => {
    const refuse = (r: Refusal): TokenReviewRecord => ({
      authenticated: false,
      reason: r.refused,
      ...(r.region === undefined ? {} : { region: r.region }),
      ...(r.accessKeyId === undefined ? {} : { accessKeyId: r.accessKeyId }),
    });
    if (!token.startsWith(TOKEN_PREFIX)) return refuse({ refused: "not a k8s-aws-v1 token" });
    let url: URL;
    try {
      url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url").toString("utf8"));
    } catch {
      return refuse({ refused: "not a URL" });
    }
    const host = /^sts\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname);
    if (url.protocol !== "https:" || !host || url.pathname !== "/") {
      return refuse({ refused: `not an STS URL: ${url.protocol}//${url.host}${url.pathname}` });
    }
    const region = host[1] ?? "";
    const q = (name: string) => url.searchParams.get(name) ?? "";
    const unknown = [...url.searchParams.keys()].filter((k) => !ALLOWED_PARAMS.has(k.toLowerCase()));
    if (unknown.length > 0) return refuse({ refused: `unexpected parameters ${unknown.join(",")}`, region });
    if (q("Action") !== "GetCallerIdentity" || q("Version") !== "2011-06-15") {
      return refuse({ refused: "not GetCallerIdentity", region });
    }
    const [accessKeyId = "", , scopeRegion] = q("X-Amz-Credential").split("/");
    if (scopeRegion !== region) return refuse({ refused: "credential scope region ≠ STS host", region });
    const signedHeaders = q("X-Amz-SignedHeaders").split(";");
    if (!signedHeaders.includes("x-k8s-aws-id")) {
      return refuse({ refused: "x-k8s-aws-id is not signed", region, accessKeyId });
    }
    const expires = Number(q("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 0 || expires > 900) {
      return refuse({ refused: "X-Amz-Expires outside 0..900", region, accessKeyId });
    }
    const signedAt = amzDate(q("X-Amz-Date"));
    const at = now().getTime();
    if (!(signedAt + TOKEN_LIFETIME_MS > at))
      return refuse({ refused: "token expired", region, accessKeyId });
    if (signedAt - TOKEN_LIFETIME_MS > at)
      return refuse({ refused: "token from the future", region, accessKeyId });

    const secret = await secretOf(accessKeyId);
    if (secret === undefined) return refuse({ refused: "access key unknown to STS", region, accessKeyId });
    const clusters = [...new Set(entries.map((e) => e.cluster))];
    const cluster = clusters.find(
      (name) => expectedPresignedSignature(url, secret, { "x-k8s-aws-id": name }) === q("X-Amz-Signature"),
    );
    if (cluster === undefined) {
      return refuse({ refused: "signature does not match any cluster's id", region, accessKeyId });
    }

    // The replay: the same query, the credential and signature in header form (see the module doc).
    const stsEndpoint = await options.stsEndpoint();
    const answer = await fetch(`${stsEndpoint}/?${url.searchParams.toString()}`, {
      headers: {
        "x-k8s-aws-id": cluster,
        "x-amz-date": q("X-Amz-Date"),
        "x-amz-security-token": q("X-Amz-Security-Token"),
        authorization: `AWS4-HMAC-SHA256 Credential=${q("X-Amz-Credential")}, SignedHeaders=${q("X-Amz-SignedHeaders")}, Signature=${q("X-Amz-Signature")}`,
      },
    });
    const xml = await answer.text();
    const arn = tag(xml, "Arn");
    if (!answer.ok || arn === undefined) {
      return refuse({ refused: `STS answered ${answer.status}: ${xml.slice(0, 200)}`, region, accessKeyId });
    }
    const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
    const canonical = assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : arn;
    const entry = entries.find((e) => e.cluster === cluster && e.principalArn === canonical);
    if (!entry) {
      return {
        ...refuse({ refused: `no access entry for ${canonical}`, region, accessKeyId }),
        cluster,
        arn,
      };
    }
    const sessionName = assumed?.[4] ?? "";
    const username = (entry.username ?? `${arn.replace(/\/[^/]+$/, "")}/{{SessionName}}`)
      .replaceAll("{{SessionName}}", sessionName)
      .replaceAll("{{AccountID}}", assumed?.[2] ?? "")
      .replaceAll("{{AccessKeyID}}", accessKeyId);
    return {
      authenticated: true,
      cluster,
      region,
      accessKeyId,
      arn,
      username,
      groups: entry.groups,
    };
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        // The API server adds `?timeout=…`.
        const path = new URL(req.url ?? "/", "http://webhook").pathname;
        if (req.method === "POST" && path === "/authenticate") {
          const spec = (JSON.parse(body) as { spec?: { token?: string } }).spec;
          const record = await review(spec?.token ?? "");
          reviews.push(record);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              apiVersion: "authentication.k8s.io/v1",
              kind: "TokenReview",
              status: record.authenticated
                ? {
                    authenticated: true,
                    user: {
                      username: record.username,
                      uid: `aws-iam-authenticator:${record.arn}`,
                      groups: record.groups,
                      extra: {
                        arn: [record.arn],
                        accessKeyId: [record.accessKeyId],
                      },
                    },
                  }
                : { authenticated: false, error: record.reason },
            }),
          );
          return;
        }
        if (req.method === "POST" && path === "/access-entries") {
          entries.push(JSON.parse(body) as AccessEntry);
          res.writeHead(204).end();
          return;
        }
        if (req.method === "GET" && path === "/reviews") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(reviews));
          return;
        }
        res.writeHead(404).end();
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(error instanceof Error ? error.message : String(error));
      }
    })();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Adds an access entry to the run's webhook (`inject("tokenWebhook")`). */
export async function addAccessEntry(webhookUrl: string, entry: AccessEntry): Promise<void> {
  const response = await fetch(`${webhookUrl}/access-entries`, {
    method: "POST",
    body: JSON.stringify(entry),
  });
  if (!response.ok) throw new Error(`adding the access entry failed: ${response.status}`);
}

/** Every TokenReview the run's webhook answered so far. */
export async function tokenReviews(webhookUrl: string): Promise<TokenReviewRecord[]> {
  return (await (await fetch(`${webhookUrl}/reviews`)).json()) as TokenReviewRecord[];
}
