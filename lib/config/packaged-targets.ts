/**
 * The targets file as `osls package` ships it to the webhook: the validated result of
 * `parseTargetsYaml` (defaults filled in) as JSON, written once at package time
 * (infra/deployment-vars.ts). The webhook reads it with `JSON.parse`, so it carries neither a
 * YAML parser nor the targets schema (~200 KB of bundle and a slower cold start); the check here is
 * only that the file is this format, since its content was validated when it was written.
 */
import { ConfigError } from "../errors.ts";
import type { TargetsFile } from "./targets.ts";

const FORMAT = "pullbridge.packaged-targets/v1";

type PackagedTargets = {
  readonly format: typeof FORMAT;
  readonly source: string;
  readonly targets: TargetsFile;
};

/** Serialises a validated targets file for the webhook bundle; `source` names the YAML it came from. */
export function packTargets(file: TargetsFile, source: string): string {
  const packaged: PackagedTargets = { format: FORMAT, source, targets: file };
  return `${JSON.stringify(packaged)}\n`;
}

/** Reads what packTargets wrote; `field` names the variable it came from in errors. */
export function readPackagedTargets(text: string, field: string): TargetsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(field, "is not JSON (the webhook reads the targets `osls package` writes)", {
      cause: error,
    });
  }
  const packaged = parsed as Partial<PackagedTargets> | null;
  if (packaged?.format !== FORMAT || typeof packaged.targets !== "object" || packaged.targets === null) {
    throw new ConfigError(field, `is not a ${FORMAT} file (write it with packTargets at package time)`);
  }
  return packaged.targets;
}
