/**
 * A minimal AWS JSON-protocol endpoint for SSM `GetParameter` and Secrets Manager
 * `GetSecretValue`, so the real SDK clients and Powertools Parameters are exercised over HTTP.
 * (No SSM / Secrets Manager emulator ships as an npm package; this speaks only the two calls.)
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type StubState = {
  ssm: Map<string, string>;
  secrets: Map<string, string>;
  /** Every `X-Amz-Target` received, in order. */
  calls: string[];
  /** When set, every call answers this HTTP status (503 plays an outage). */
  failWith: number | undefined;
};

export async function startAwsJsonStub() {
  const state: StubState = { ssm: new Map(), secrets: new Map(), calls: [], failWith: undefined };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const target = String(request.headers["x-amz-target"] ?? "");
      state.calls.push(target);
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(body));
      };
      if (state.failWith !== undefined) {
        reply(state.failWith, { __type: "InternalServerError", message: "unavailable" });
        return;
      }
      if (target === "AmazonSSM.GetParameter") {
        const name = String(input.Name);
        const value = state.ssm.get(name);
        if (value === undefined) reply(400, { __type: "ParameterNotFound", message: "not found" });
        else reply(200, { Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } });
        return;
      }
      if (target === "secretsmanager.GetSecretValue") {
        const id = String(input.SecretId);
        const value = state.secrets.get(id);
        if (value === undefined) reply(400, { __type: "ResourceNotFoundException", message: "not found" });
        else
          reply(200, {
            ARN: `arn:aws:secretsmanager:us-east-1:0:secret:${id}`,
            Name: id,
            SecretString: value,
          });
        return;
      }
      reply(400, { __type: "UnknownOperationException", message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
