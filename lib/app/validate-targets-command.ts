/**
 * `pullbridge targets validate`: the same parser the functions use at cold start (so a file that
 * passes here loads in Lambda), plus warnings for settings that parse but will not do what the
 * author probably meant.
 */
import { LineCounter, parseDocument } from "yaml";
import { parseTargetsYaml, type TargetsFile } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";
import { lineColumnAt, locateOffset, type ValuePath } from "../manifests/locate-yaml-node.ts";

export type TargetsValidation = {
  file: string;
  targets: TargetsFile["targets"];
  clusters: TargetsFile["clusters"];
  /** `field: why` for settings that are valid but suspicious. */
  warnings: string[];
};

/** Parses and checks a targets file's text; throws ConfigError naming `file:line:col` or the field. */
export function validateTargets(input: { text: string; file: string }): TargetsValidation {
  const parsed = parseWithLocation(input.text, input.file);
  const warnings: string[] = [];
  for (const [key, cluster] of Object.entries(parsed.clusters)) {
    if (cluster.type === "kubeconfig" && /^(file:|default$)/.test(cluster.source)) {
      warnings.push(
        `clusters.${key}.source: "${cluster.source}" works only in local mode and the CLI; the Lambda worker refuses it (use ssm: or secretsmanager:)`,
      );
    }
  }
  const used = new Set(parsed.targets.map((t) => t.cluster));
  for (const key of Object.keys(parsed.clusters)) {
    if (!used.has(key)) warnings.push(`clusters.${key}: no target uses this cluster`);
  }
  parsed.targets.forEach((t, i) => {
    if (t.drift === "alert" && !t.scheduled) {
      warnings.push(`targets[${i}].drift: "alert" with scheduled: false never runs a drift check`);
    }
    if (t.allowEmpty && t.prune && t.path === ".") {
      warnings.push(
        `targets[${i}].allowEmpty: with path "." an emptied repository prunes everything the target owns`,
      );
    }
  });
  return { file: input.file, targets: parsed.targets, clusters: parsed.clusters, warnings };
}

/** The first schema issue's path, when `error` carries a zod error (structurally: no zod import needed). */
function issuePath(error: ConfigError): ValuePath | undefined {
  const cause: unknown = error.cause;
  if (typeof cause !== "object" || cause === null || !("issues" in cause) || !Array.isArray(cause.issues))
    return undefined;
  const path: unknown = (cause.issues[0] as { path?: unknown } | undefined)?.path;
  return Array.isArray(path) && path.every((p) => typeof p === "string" || typeof p === "number")
    ? path
    : undefined;
}

/** parseTargetsYaml, with schema errors pointed at `file:line:col` of the offending field. */
function parseWithLocation(text: string, file: string): TargetsFile {
  try {
    return parseTargetsYaml(text, file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const path = issuePath(error);
    if (path === undefined) throw error;
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    const { line, column } = lineColumnAt(lineCounter, locateOffset(doc.contents, path, 0));
    throw new ConfigError(`${file}:${line}:${column}`, error.message, { cause: error });
  }
}
