/**
 * Previews of SOPS-encrypted objects: nothing is decrypted (a pull request must not be able to make
 * the worker decrypt anything). Each sealed object is compared with its live version by
 * ciphertext digest (unseal-against-live.ts), one GET per encrypted object, and the report says
 * which encrypted keys change — "encrypted: keys password, token changed" — never a value.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { type DesiredObject, describeObject } from "../manifests/kube-object.ts";
import { fieldName, unsealAgainstLive } from "../secrets/unseal-against-live.ts";
import type { SyncResult } from "../sync/sync-result.ts";

/** Sealed objects planned against the live ones; `changed`: object → encrypted keys whose ciphertext changed. */
export async function unsealPreview(
  cluster: ClusterPort,
  target: Pick<Target, "namespace">,
  desired: readonly DesiredObject[],
  signal?: AbortSignal | undefined,
): Promise<{ desired: DesiredObject[]; changed: Map<string, string[]> }> {
  const changed = new Map<string, string[]>();
  if (!desired.some((d) => d.sensitive?.sealed)) return { desired: [...desired], changed };
  const discovery = await cluster.discover({ signal });
  const out: DesiredObject[] = [];
  for (const item of desired) {
    if (!item.sensitive?.sealed) {
      out.push(item);
      continue;
    }
    const resource = discovery.resolve(item.object);
    const namespace = resource?.namespaced ? (item.object.metadata.namespace ?? target.namespace) : undefined;
    const live =
      resource === undefined
        ? undefined
        : await cluster.get({ resource, namespace, name: item.object.metadata.name, signal });
    const unsealed = unsealAgainstLive(item, live);
    out.push(unsealed.item);
    const described = describeObject({
      ...item.object,
      metadata: { ...item.object.metadata, ...(namespace === undefined ? {} : { namespace }) },
    });
    if (unsealed.changed.length > 0) changed.set(described, unsealed.changed.map(fieldName));
  }
  return { desired: out, changed };
}

/** How a previewed encrypted object's reason starts: `encrypted: keys a, b changed`. */
export const ENCRYPTED_REASON = "encrypted: ";

/** The plan's outcomes with each encrypted object's changed keys as its reason (never its values). */
export function withEncryptedReasons(result: SyncResult, changed: ReadonlyMap<string, string[]>): SyncResult {
  if (changed.size === 0) return result;
  return {
    ...result,
    outcomes: result.outcomes.map((outcome) => {
      const keys = changed.get(outcome.object);
      if (keys === undefined || (outcome.outcome !== "created" && outcome.outcome !== "updated"))
        return outcome;
      const what = `${ENCRYPTED_REASON}key${keys.length === 1 ? "" : "s"} ${keys.join(", ")} ${outcome.outcome === "created" ? "set" : "changed"}`;
      return { ...outcome, reason: what };
    }),
  };
}
