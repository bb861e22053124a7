/**
 * Serves a Lambda HTTP handler (API Gateway HTTP API v2 / Function URL shape) from a plain
 * node:http server, for local mode: the same handler that runs in Lambda answers on localhost.
 * The body is always passed base64-encoded, so the handler sees GitHub's exact bytes.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { lambdaContext } from "../local/lambda-context.ts";

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export type ServeOptions = {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Largest body accepted before the handler runs (API Gateway's own limit is 10 MB). */
  maxBodyBytes?: number;
  /** Function name reported in the Lambda context. */
  functionName?: string;
};

export type ServedLambda = {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
};

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Translates a node:http request into the event API Gateway HTTP API (payload 2.0) would send. */
function toHttpApiEvent(request: IncomingMessage, body: Buffer, requestId: string): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const method = request.method ?? "GET";
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  const body = result.body ?? "";
  response.end(result.isBase64Encoded ? Buffer.from(body, "base64") : body);
}

/** Starts a server that answers every request with `handler`. */
export async function serveLambdaHttp(
  handler: LambdaHttpHandler,
  options: ServeOptions = {},
): Promise<ServedLambda> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const functionName = options.functionName ?? "local";
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    const serve = async () => {
      const body = await readBody(request, maxBodyBytes);
      if (body === undefined) {
        writeResult(response, { statusCode: 413, body: '{"error":"request entity too large"}' });
        return;
      }
      const result = await handler(
        toHttpApiEvent(request, body, requestId),
        lambdaContext({ functionName, requestId, remainingMs: 30_000, memoryLimitInMB: 256 }),
      );
      writeResult(response, result);
    };
    serve().catch((error: unknown) => {
      // Lambda answers 502 when a handler throws; so does local mode.
      console.error(`[serve-lambda-http] ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent)
        writeResult(response, { statusCode: 502, body: '{"error":"internal error"}' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolvePromise, reject) => {
        server.close((error) => (error ? reject(error) : resolvePromise()));
        server.closeAllConnections();
      }),
  };
}
