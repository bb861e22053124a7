/**
 * Which kubeconfig the CLI and local mode use, in kubectl's order: `--kubeconfig`, then
 * `$KUBECONFIG` (the first file of the list that exists — pullbridge does not merge several
 * files), then `~/.kube/config`. Pure: the caller passes the environment and a file probe.
 */
import { delimiter, join } from "node:path";
import { ConfigError } from "../errors.ts";

export type KubeconfigLocation = { path: string; from: "--kubeconfig" | "$KUBECONFIG" | "~/.kube/config" };

/** The kubeconfig to use, or undefined when there is none; a `--kubeconfig` that does not exist is an error. */
export function locateKubeconfig(options: {
  flag: string | undefined;
  env: { readonly KUBECONFIG?: string | undefined };
  home: string;
  exists: (path: string) => boolean;
}): KubeconfigLocation | undefined {
  const { flag, env, home, exists } = options;
  if (flag !== undefined) {
    if (!exists(flag)) throw new ConfigError("--kubeconfig", `${flag} does not exist`);
    return { path: flag, from: "--kubeconfig" };
  }
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== "");
  const fromEnv = listed.find(exists);
  if (fromEnv !== undefined) return { path: fromEnv, from: "$KUBECONFIG" };
  if (listed.length > 0) {
    throw new ConfigError("$KUBECONFIG", `none of ${listed.join(", ")} exists`);
  }
  const fallback = join(home, ".kube", "config");
  return exists(fallback) ? { path: fallback, from: "~/.kube/config" } : undefined;
}
