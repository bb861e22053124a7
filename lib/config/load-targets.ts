/**
 * The targets file from the environment, parsed and validated (worker, drift, local mode):
 * `PULLBRIDGE_TARGETS_YAML` inline, or `PULLBRIDGE_TARGETS_FILE` (default `targets.yaml`, relative
 * to the Lambda task root). The webhook reads the packaged JSON form instead (packaged-targets.ts).
 */
import { type Env, type ReadTextFile, readTargetsText } from "./adapters/read-env.ts";
import { parseTargetsYaml, type TargetsFile } from "./targets.ts";

/** Reads and validates the targets; errors name the variable, or `file:line:col` and the field. */
export function loadTargetsFromEnv(env: Env, readFile?: ReadTextFile): TargetsFile {
  const { text, source } = readTargetsText(env, "PULLBRIDGE_TARGETS_YAML", "targets.yaml", readFile);
  return parseTargetsYaml(text, source);
}
