/**
 * An object as stable YAML text: the same object always renders the same lines, whatever key
 * order Git or the API server used, so a diff shows only real changes.
 */
import { Document, isScalar, Scalar, visit } from "yaml";
import type { KubeObject } from "./kube-object.ts";

const TOP_LEVEL_FIRST = ["apiVersion", "kind", "metadata"];
const METADATA_FIRST = ["name", "namespace"];

/** YAML of `object`: apiVersion, kind, metadata (name, namespace first) then every map's keys sorted. */
export function renderObjectYaml(object: KubeObject): string {
  // Quote what a YAML 1.1 reader (kubectl) would otherwise misread, such as `yes` or `0644`.
  const doc = new Document(orderKeys(object, TOP_LEVEL_FIRST), {
    version: "1.1",
    aliasDuplicateObjects: false,
  });
  // A bare `<<` key is a YAML 1.1 merge key (the library will not quote it): tag it as a string.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "<<") {
        const key = new Scalar("<<");
        key.type = Scalar.QUOTE_DOUBLE;
        key.tag = "tag:yaml.org,2002:str";
        pair.key = key;
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function orderKeys(value: unknown, first: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => orderKeys(item));
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort((a, b) => rank(a, first) - rank(b, first) || compare(a, b));
  // fromEntries defines own properties: a `__proto__` key stays a key instead of setting the prototype.
  return Object.fromEntries(
    keys.map((key) => [
      key,
      orderKeys(record[key], first === TOP_LEVEL_FIRST && key === "metadata" ? METADATA_FIRST : []),
    ]),
  );
}

function rank(key: string, first: readonly string[]): number {
  const index = first.indexOf(key);
  return index === -1 ? first.length : index;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
