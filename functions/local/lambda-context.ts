/**
 * The Lambda context a handler gets when something other than Lambda invokes it: local mode's
 * worker loop and HTTP server, the test bridge and the benchmarks. The one place that fakes it.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

export type LambdaContextOptions = {
  functionName: string;
  /** Defaults to a fresh UUID, as Lambda gives each invocation. */
  requestId?: string;
  /** What `getRemainingTimeInMillis()` answers: the invocation's time budget. */
  remainingMs: number;
  memoryLimitInMB?: number;
  /** The region in the function ARN; `local` unless given. */
  region?: string;
  logStreamName?: string;
};

/** A Lambda context whose remaining time stays at `remainingMs` (a local invocation has no deadline to count down). */
export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName } = options;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${options.region ?? "local"}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName ?? "local",
    getRemainingTimeInMillis: () => options.remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
