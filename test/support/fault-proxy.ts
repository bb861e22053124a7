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
  | { forward: true }
  /** Answer in the server's place; a string body is sent as it is (set its content-type), anything else as JSON. */
  | { respond: { status: number; headers?: Record<string, string>; body?: unknown } }
  /** Accept the request and never answer (a paused server or a black-holed connection). */
  | { hold: true }
  /** Reset the TCP connection (RST) once the request has arrived. */
  | { reset: true };

/** Decides per request; `undefined` forwards. */
export type FaultRule = (request: { method: string; path: string }) => FaultAction | undefined;

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

  const forward = (req: IncomingMessage, res: ServerResponse) => {
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
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => req.socket.destroy());
    req.pipe(out);
  };

  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const action = rule?.({ method, path }) ?? { forward: true as const };
    if ("respond" in action) {
      seen.push({ method, path, action: "respond" });
      req.resume();
      req.on("end", () => {
        const given = action.respond.body;
        const body = given === undefined ? "" : typeof given === "string" ? given : JSON.stringify(given);
        res.writeHead(action.respond.status, {
          "content-type": "application/json",
          ...action.respond.headers,
        });
        res.end(body);
      });
      return;
    }
    if ("hold" in action) {
      seen.push({ method, path, action: "hold" });
      req.resume();
      return;
    }
    if ("reset" in action) {
      seen.push({ method, path, action: "reset" });
      req.resume();
      req.on("end", () => req.socket.resetAndDestroy());
      return;
    }
    seen.push({ method, path, action: "forward" });
    forward(req, res);
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
