/**
 * `pullbridge images plan [dir]`: what a pushed image would change in a checkout, by the targets
 * file's image policies (lib/app/images-plan-command.ts); writes nothing.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { planImagesCommand, readImageEvent } from "../../../lib/app/images-plan-command.ts";
import { formatImagesPlan, imagesPlanJson } from "../../../lib/cli/format-images-plan.ts";
import { isImageAutomationFile } from "../../../lib/images/plan-image-update.ts";
import { readDirectoryTree } from "../../../lib/source/adapters/directory-source.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { FLAGS } from "../cli-flags.ts";
import { DEFAULT_TARGETS_FILE, loadTargetsFile } from "../targets-file.ts";

export const imagesPlanCommand = defineCommand({
  name: "images plan",
  operands: ["[dir]"],
  usage: "[dir] (--event <file> | --image <repo:tag>) [--targets <file>]",
  summary:
    'what a pushed image would change in the checkout <dir> (default "."), by the targets file\'s image policies; writes nothing',
  about:
    "Shows what the bridge's image automation would do for a pushed image: each field it would edit in the checkout <dir> (default \".\"; by the targets file's image policies, the fields' `$imagepolicy` markers and kustomizations' `images:` entries), the commit message and the diff. Nothing is written.",
  flags: {
    targets: {
      ...FLAGS.targets,
      help: `the targets file with the image policies (default: ${DEFAULT_TARGETS_FILE})`,
    },
    event: FLAGS.event,
    image: FLAGS.image,
  },
  examples: ["pullbridge images plan . --targets infra/targets.yaml --event ecr-push.json"],
  exitCodes: "0 nothing to change, 2 changes, 1 error.",
  run: async ({ flags, operands, terminal, cwd, now }) => {
    const dir = resolve(cwd, operands[0] ?? ".");
    const targetsFile = flags.targets ?? DEFAULT_TARGETS_FILE;
    const config = await loadTargetsFile(targetsFile, cwd);
    const eventJson =
      flags.event === undefined ? undefined : await readFile(resolve(cwd, flags.event), "utf8");
    const decision = readImageEvent({ eventJson, image: flags.image });
    // The checkout is the repository root: keys are repo-relative paths, as in the Git data API.
    const tree = await readDirectoryTree(dir, { paths: ["."] });
    const decoder = new TextDecoder();
    const files = new Map(
      [...tree]
        .filter(([path]) => isImageAutomationFile(path))
        .map(([path, bytes]) => [path, decoder.decode(bytes)]),
    );
    const plan = planImagesCommand({ decision, targets: config.targets, files, now: now() });
    if (terminal.output === "json") terminal.json(imagesPlanJson(plan));
    else terminal.out(formatImagesPlan(plan, terminal.p));
    return plan.kind === "planned" && plan.jobs.some((j) => j.files.length > 0) ? EXIT.changes : EXIT.ok;
  },
});
