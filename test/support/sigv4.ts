/**
 * An independent SigV4 verifier, written from the SigV4 specification with node:crypto only (it
 * shares no code with @smithy/signature-v4, which signs what it checks). It plays STS and EKS:
 * given a presigned URL (or a request with an `Authorization` header) and the secret key, it
 * recomputes the signature. Proven against the AWS SigV4 test suite in
 * test/unit/cluster/adapters/eks-token.test.ts.
 */
import { createHash, createHmac } from "node:crypto";

export const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
const uriEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export type CanonicalRequestParts = {
  method: string;
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  headers: Readonly<Record<string, string>>;
  signedHeaders: readonly string[];
  payloadHash: string;
};

/** The SigV4 canonical request. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const query = parts.query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = parts.signedHeaders
    .map((name) => `${name}:${(parts.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  return [parts.method, parts.path, query, headers, parts.signedHeaders.join(";"), parts.payloadHash].join(
    "\n",
  );
}

/** The hex signature of a canonical request under `scope` (`date/region/service/aws4_request`). */
export function sigV4Signature(options: {
  secretAccessKey: string;
  amzDate: string;
  scope: string;
  canonicalRequest: string;
}): string {
  const [date = "", region = "", service = "", terminator = ""] = options.scope.split("/");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    options.amzDate,
    options.scope,
    sha256Hex(options.canonicalRequest),
  ].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, date), region), service), terminator);
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}

/** Recomputes the signature of a presigned GET URL; `headers` are the values the verifier sends. */
export function expectedPresignedSignature(
  url: URL,
  secretAccessKey: string,
  headers: Record<string, string>,
): string {
  const params = [...url.searchParams.entries()];
  const get = (name: string) => url.searchParams.get(name) ?? "";
  const credential = get("X-Amz-Credential");
  return sigV4Signature({
    secretAccessKey,
    amzDate: get("X-Amz-Date"),
    scope: credential.slice(credential.indexOf("/") + 1),
    canonicalRequest: canonicalRequest({
      method: "GET",
      path: url.pathname,
      query: params.filter(([name]) => name !== "X-Amz-Signature"),
      headers: { host: url.host, ...headers },
      signedHeaders: get("X-Amz-SignedHeaders").split(";"),
      // Presigned STS URLs carry no X-Amz-Content-Sha256, so the payload is the empty body.
      payloadHash: sha256Hex(""),
    }),
  });
}

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export type AuthorizationHeader = {
  accessKeyId: string;
  /** `date/region/service/aws4_request`. */
  scope: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
};

/** Parses a SigV4 `Authorization` header; undefined when it is not one. */
export function parseAuthorization(value: string | undefined): AuthorizationHeader | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      value ?? "",
    );
  if (!match) return undefined;
  const [, accessKeyId = "", scope = "", signedHeaders = "", signature = ""] = match;
  const [, region = "", service = ""] = scope.split("/");
  return { accessKeyId, scope, region, service, signedHeaders: signedHeaders.split(";"), signature };
}

/** Whether a request signed in the `Authorization` header carries a valid signature for `secretAccessKey`. */
export function verifyHeaderSignature(request: {
  method: string;
  /** Path with query, as received. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  secretAccessKey: string;
}): boolean {
  const auth = parseAuthorization(headerValue(request.headers.authorization));
  if (!auth) return false;
  const url = new URL(request.url, "http://placeholder");
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) headers[name] = headerValue(request.headers[name]) ?? "";
  const expected = sigV4Signature({
    secretAccessKey: request.secretAccessKey,
    amzDate: headers["x-amz-date"] ?? "",
    scope: auth.scope,
    canonicalRequest: canonicalRequest({
      method: request.method,
      path: url.pathname,
      query: [...url.searchParams.entries()],
      headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: headers["x-amz-content-sha256"] ?? sha256Hex(request.body),
    }),
  });
  return expected === auth.signature;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}
