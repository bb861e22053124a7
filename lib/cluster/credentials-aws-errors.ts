/**
 * Classifies AWS SDK v3 failures (EKS, SSM, Secrets Manager) into "retrying can help" or not,
 * so credential lookups fail the job the right way: throttling, 5xx and network errors go back
 * to the queue; missing resources and denied access are configuration problems for a person.
 */

/** What a thrown SDK error says about itself. */
export type AwsErrorFacts = {
  /** Service error code (`ResourceNotFoundException`, `ThrottlingException`…) or the Node error code. */
  readonly code: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly message: string;
};

const PERMANENT_CODES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "ClientException",
  "InvalidClientTokenId",
  "InvalidParameterException",
  "InvalidRequestException",
  "NotFoundException",
  "ParameterNotFound",
  "ParameterVersionNotFound",
  "ResourceNotFoundException",
  "UnauthorizedOperation",
  "UnrecognizedClientException",
  "ValidationException",
]);

// Temporary credentials that expired mid-flight, or a skewed clock: a later attempt re-resolves them.
const RETRYABLE_CODES = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "RequestExpired",
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "ServerException",
  "InternalServerError",
  "InternalFailure",
]);

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Reads code, HTTP status and retryability from any thrown value (SDK, network or other). */
export function classifyAwsError(error: unknown): AwsErrorFacts {
  const name = field(error, "name");
  const nodeCode = field(error, "code");
  const code =
    typeof name === "string" && name !== "Error"
      ? name
      : typeof nodeCode === "string"
        ? nodeCode
        : typeof name === "string"
          ? name
          : "UnknownError";
  const statusValue = field(field(error, "$metadata"), "httpStatusCode");
  const status = typeof statusValue === "number" ? statusValue : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return { code, status, message, retryable: isRetryableAwsFailure(code, status, error) };
}

function isRetryableAwsFailure(code: string, status: number | undefined, error: unknown): boolean {
  if (PERMANENT_CODES.has(code)) return false;
  if (RETRYABLE_CODES.has(code) || /throttl|toomanyrequests|^requestlimitexceeded$/i.test(code)) return true;
  // The SDK marks throttling and transient errors it recognises.
  if (field(error, "$retryable") !== undefined) return true;
  if (status === undefined) return true; // no HTTP answer: network, DNS, timeout
  return status === 429 || status >= 500;
}
