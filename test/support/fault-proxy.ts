/**
 * A reverse proxy in front of the real kube-apiserver that can, per request, answer in its
 * place (a 429 with `Retry-After`, a 503, a 502 from a load balancer), hold the request without
 * ever answering, or reset the connection — the faults a real network and a real API server
 * produce, on demand. Everything it does not intercept is forwarded to the real server, so the
 * client under test talks to Kubernetes, not to a fake. Plain HTTP towards the client (so answers
 * can be injected), HTTPS with the server's CA towards kube-apiserver — or plain HTTP towards an
 * `http://` upstream (moto: S3, STS, KMS answers with their XML error bodies).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";

/** What the proxy does with one request. */
export type FaultAction =
  /** Forward; with `rewrite`, the upstream's answer body is changed on its way back (e.g. an STS expiry). */
  | { forward: true; rewrite?: (body: string) => string }
  /** Answer in the server's place; a string body is sent as it is (set its content-type), anything else as JSON. */
  | { respond: { status: number; headers?: Record<string, string>; body?: unknown } }
  /** Accept the request and never answer (a paused server or a black-holed connection). */
  | { hold: true }
  /** Reset the TCP connection (RST) once the request has arrived. */
  | { reset: true };

/** Decides per request (its body is read first: STS and SQS name the action there); `undefined` forwards. */
export type FaultRule = (request: { method: string; path: string; body: string }) => FaultAction | undefined;

export type FaultProxy = {
  /** `http://127.0.0.1:<port>` — the `server` of a kubeconfig that goes through the proxy. */
  readonly url: string;
  /** Every request seen, in order (method and path with query). */
  readonly seen: Array<{ method: string; path: string; action: "forward" | "respond" | "hold" | "reset" }>;
  setRule(rule: FaultRule | undefined): void;
  close(): Promise<void>;
};

/** A Kubernetes Status body, as the API server writes it. */
export function statusBody(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

/** Starts the proxy on a free loopback port in front of `upstream` (an `https://` API server URL with its CA, or an `http://` URL). */
export async function startFaultProxy(options: { upstream: string; caPem?: string }): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const seen: FaultProxy["seen"] = [];
  const sockets = new Set<Socket>();
  let rule: FaultRule | undefined;

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    rewrite: ((body: string) => string) | undefined,
  ) => {
    const send = upstream.protocol === "http:" ? httpRequest : httpsRequest;
    const out = send(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      },
      (answer) => {
        if (rewrite === undefined) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const text = rewrite(Buffer.concat(chunks).toString("utf8"));
          const { "content-length": _length, "transfer-encoding": _encoding, ...headers } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": Buffer.byteLength(text) });
          res.end(text);
        });
      },
    );
    out.on("error", () => req.socket.destroy());
    out.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const action: FaultAction = rule?.({ method, path, body: body.toString("utf8") }) ?? { forward: true };
    if ("respond" in action) {
      seen.push({ method, path, action: "respond" });
      const given = action.respond.body;
      const text = given === undefined ? "" : typeof given === "string" ? given : JSON.stringify(given);
      res.writeHead(action.respond.status, { "content-type": "application/json", ...action.respond.headers });
      res.end(text);
      return;
    }
    if ("hold" in action) {
      seen.push({ method, path, action: "hold" });
      return;
    }
    if ("reset" in action) {
      seen.push({ method, path, action: "reset" });
      req.socket.resetAndDestroy();
      return;
    }
    seen.push({ method, path, action: "forward" });
    forward(req, res, body, action.rewrite);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    setRule: (next) => {
      rule = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
