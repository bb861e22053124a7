/**
 * `npm run send-image-event`: posts an ECR `ECR Image Action` push event — AWS's documented
 * sample, with the repository, tag and digest you give — to the running local bridge, which does
 * what the EventBridge rule and the image functions do in AWS: route it by the targets file's
 * image policies, commit the new tag into the local repository, deliver that push to its webhook
 * and sync. Reads `.pullbridge/local-bridge.json`, written by `npm start`.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { localPaths, readLocalState } from "./local-state.ts";
import { IMAGE_EVENT_PATH } from "./start-local-bridge.ts";

const HELP = `npm run send-image-event [-- options]   announce a pushed ECR image to the running bridge

Options:
  --tag <tag>             the pushed tag (required), e.g. 1.28.0
  --repository <name>     ECR repository name (default: web)
  --account <id>          AWS account (default: 123456789012, AWS's sample account)
  --region <region>       region (default: us-west-2, as in AWS's sample)
  --digest <sha256:…>     image digest (default: derived from the tag)
  --state-dir <dir>       the running bridge's --state-dir (default .pullbridge/)
`;

const SAMPLE = new URL("../../test/fixtures/images/ecr-image-push.json", import.meta.url);

type IntakeAnswer = { kind?: unknown; code?: unknown; reason?: unknown };

function parseResult(body: string): IntakeAnswer | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null ? (value as IntakeAnswer) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tag: { type: "string" },
      repository: { type: "string", default: "web" },
      account: { type: "string", default: "123456789012" },
      region: { type: "string", default: "us-west-2" },
      digest: { type: "string" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help || values.tag === undefined) {
    process.stdout.write(HELP);
    return values.help ? 0 : 1;
  }
  const { stateFile } = localPaths(
    values["state-dir"] === undefined ? undefined : resolve(values["state-dir"]),
  );
  const state = await readLocalState(stateFile);
  if (!state) {
    process.stderr.write(
      "error: no running bridge found (.pullbridge/local-bridge.json is missing): start one with `npm start`\n",
    );
    return 1;
  }
  const event = JSON.parse(readFileSync(SAMPLE, "utf8")) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
  event.id = randomUUID();
  event.time = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  event.account = values.account;
  event.region = values.region;
  event.detail["repository-name"] = values.repository;
  event.detail["image-tag"] = values.tag;
  event.detail["image-digest"] =
    values.digest ??
    `sha256:${createHash("sha256").update(`${values.repository}:${values.tag}`).digest("hex")}`;
  const url = state.webhookUrl.replace(/\/webhook$/, IMAGE_EVENT_PATH);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  const body = await response.text();
  process.stdout.write(
    `ECR push ${values.account}.dkr.ecr.${values.region}.amazonaws.com/${values.repository}:${values.tag} → ${url}: HTTP ${response.status} ${body}\n`,
  );
  if (response.status === 404) {
    process.stderr.write(
      "error: this bridge has no image automation (no target with `images:` policies, or it reads GitHub)\n",
    );
    return 1;
  }
  if (!response.ok) return 1;
  // The bridge answers 200 with the intake's result: a rejected event (no policy names the
  // repository, another account, …) queued nothing, and that is a failure for whoever sent it.
  const result = parseResult(body);
  if (result?.kind !== "queued") {
    process.stderr.write(
      result?.kind === "rejected"
        ? `error: the bridge rejected the event (${String(result.code)}): ${String(result.reason)}\n`
        : `error: unexpected answer from the bridge: ${body}\n`,
    );
    return 1;
  }
  process.stdout.write("The bridge's console shows the image commit, its push and the sync.\n");
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
