/**
 * `npm run send-push`: commits what changed in a local repository the running bridge serves
 * (the demo repository by default) and delivers the push GitHub would send — signed with the
 * bridge's webhook secret — to its webhook. Reads `.pullbridge/local-bridge.json`, written by
 * `npm start`.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { localGit } from "./local-git.ts";
import { localPaths, readLocalState, writeLocalState } from "./local-state.ts";
import { deliverPush } from "./push-delivery.ts";

const HELP = `npm run send-push [-- options]   commit local edits and post a signed push to the running bridge

Options:
  --repo <owner/name>   which served repository (default: the only local one, e.g. the demo)
  --message, -m <text>  commit message for uncommitted edits (default "local change")
  --no-commit           do not commit; push the branch head as it is
  --state-dir <dir>     the running bridge's --state-dir (default .pullbridge/)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      repo: { type: "string" },
      message: { type: "string", short: "m", default: "local change" },
      commit: { type: "boolean", default: true },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowNegative: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
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
  const repos = Object.keys(state.directories);
  const repoName = values.repo ?? (repos.length === 1 ? repos[0] : undefined);
  const dir = repoName === undefined ? undefined : state.directories[repoName];
  if (repoName === undefined || dir === undefined) {
    process.stderr.write(
      `error: --repo must name one of the local repositories the bridge reads: ${repos.join(", ") || "(none: it reads GitHub)"}\n`,
    );
    return 1;
  }
  const target = state.targets.find((t) => t.repo === repoName);
  const branch = target?.branch ?? "main";
  const repo = localGit(dir);
  if (values.commit && (await repo.isDirty())) {
    const sha = await repo.commitAll(values.message);
    process.stdout.write(`committed ${sha.slice(0, 7)} "${values.message}" in ${dir}\n`);
  }
  const key = `${repoName}@${branch}`;
  const push = await deliverPush({
    repo,
    repoName,
    branch,
    url: state.webhookUrl,
    secret: state.webhookSecret,
    before: state.delivered[key],
  });
  const files = push.files
    ? [
        ...push.files.added.map((f) => `+${f}`),
        ...push.files.modified.map((f) => `~${f}`),
        ...push.files.removed.map((f) => `-${f}`),
      ]
    : [];
  process.stdout.write(
    `push ${branch} ${push.before.slice(0, 7)}..${push.after.slice(0, 7)} ${files.length > 0 ? `(${files.join(" ")})` : "(no new changes: every target re-checks its branch head)"}\n` +
      `delivery ${push.deliveryId} → ${state.webhookUrl}: HTTP ${push.status} ${push.body}\n`,
  );
  if (push.status >= 200 && push.status < 300) {
    await writeLocalState({ ...state, delivered: { ...state.delivered, [key]: push.after } }, stateFile);
    process.stdout.write("The bridge's console shows the sync and its commit status.\n");
    return 0;
  }
  return 1;
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
