/**
 * A Secret value the API server echoes in its refusal (`.stringData.pin: expected string, got
 * …{Value:98765432}`) must reach neither the commit status, the check run (summary, text,
 * annotations) nor the worker's log. End to end on the real servers: webhook → SQS → worker →
 * kube-apiserver → GitHub fake.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceName } from "../../../lib/telemetry/metric-names.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";

const PIN = "98765432";

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

/** Runs `act` while collecting what the process writes to stdout and stderr (where Powertools logs). */
async function capturingOutput(act: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }) as typeof stream.write;
  }
  try {
    await act();
  } finally {
    streams.forEach((stream, i) => {
      const write = writes[i];
      if (write) stream.write = write;
    });
  }
  return chunks.join("");
}

describe("Secret values in API errors", () => {
  it("never reach the status, the check run, its annotations or the log", async () => {
    // Prepare
    bridge = await startBridge({
      logger: new Logger({ serviceName: ServiceName.Worker, logLevel: "DEBUG" }),
    });
    const manifest = [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: pin",
      "stringData:",
      `  pin: ${PIN}`,
      "",
    ];
    const active = bridge;

    // Act
    let sha = "";
    const log = await capturingOutput(async () => {
      sha = (await active.push({ "deploy/secret.yaml": manifest.join("\n") })).sha;
      await active.drain();
    });

    // Assess: the refusal is reported, with the server's words, without the value.
    const statuses = active.world.fake.statuses(sha);
    const [checkRun] = active.world.fake.checkRuns(sha);
    expect(statuses.at(-1)?.state).toBe("failure");
    expect(checkRun?.conclusion).toBe("failure");
    const reported = [
      ...statuses.map((s) => s.description ?? ""),
      checkRun?.title ?? "",
      checkRun?.summary ?? "",
      checkRun?.text ?? "",
      ...(checkRun?.annotations ?? []).map((a) => `${a.title ?? ""} ${a.message}`),
    ].join("\n");
    expect(reported).toContain(".stringData.pin: expected string");
    expect(reported).toContain("{Value:***}");
    expect(log).toContain("stringData.pin");
    expect(reported).not.toContain(PIN);
    expect(log).not.toContain(PIN);
  });
});
