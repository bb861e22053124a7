/**
 * The CLI's cluster: a kubeconfig context (`--kubeconfig` / `$KUBECONFIG` / `~/.kube/config`,
 * `--context`) → the same ClusterPort adapter the worker uses. The CLI acts with the caller's
 * own credentials; it never reads a targets file's `clusters` section.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { type KubeconfigLocation, locateKubeconfig } from "../../lib/cli/kubeconfig-location.ts";
import { createClusterClient } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromText } from "../../lib/cluster/adapters/kube-config.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { ConfigError } from "../../lib/errors.ts";

export type KubeConnection = {
  cluster: ClusterPort;
  server: string;
  context: string;
  /** The context's default namespace, when it names one. */
  namespace: string | undefined;
  location: KubeconfigLocation;
};

/** Finds the kubeconfig (or explains there is none) without connecting. */
export function findKubeconfig(options: {
  kubeconfig: string | undefined;
  env: { readonly KUBECONFIG?: string | undefined };
}): KubeconfigLocation | undefined {
  return locateKubeconfig({
    flag: options.kubeconfig,
    env: options.env,
    home: homedir(),
    exists: existsSync,
  });
}

/** Builds the cluster client for a kubeconfig context. Nothing is sent until the first request. */
export async function connectKubeconfig(options: {
  kubeconfig: string | undefined;
  context: string | undefined;
  env: { readonly KUBECONFIG?: string | undefined };
}): Promise<KubeConnection> {
  const location = findKubeconfig(options);
  if (!location) {
    throw new ConfigError(
      "kubeconfig",
      "no cluster configured: $KUBECONFIG is unset and ~/.kube/config does not exist (pass --kubeconfig <file>)",
    );
  }
  let text: string;
  try {
    text = await readFile(location.path, "utf8");
  } catch (error) {
    throw new ConfigError(location.from, `cannot read ${location.path}`, { cause: error });
  }
  const kubeConfig = kubeConfigFromText({ text, context: options.context });
  const context = kubeConfig.getCurrentContext();
  const cluster = await createClusterClient({ kubeConfig });
  return {
    cluster,
    server: cluster.server,
    context,
    namespace: kubeConfig.getContextObject(context)?.namespace,
    location,
  };
}
