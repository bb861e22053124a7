/** Builds client-node KubeConfigs from the two shapes pullbridge receives credentials in. */
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterError } from "../../errors.ts";

/** A KubeConfig for a bearer token (EKS tokens, static tokens); `caData` is base64 PEM. */
export function kubeConfigFromToken(options: {
  server: string;
  caData: string;
  token: string;
  /** Cluster / user / context name shown in errors. */
  name?: string;
}): KubeConfig {
  const name = options.name ?? "pullbridge";
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: options.server, caData: options.caData, skipTLSVerify: false }],
    users: [{ name, token: options.token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

/** A KubeConfig from kubeconfig YAML text, switched to `context` when given. */
export function kubeConfigFromText(options: { text: string; context?: string | undefined }): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(options.text);
  } catch (error) {
    throw new ClusterError(`invalid kubeconfig: ${error instanceof Error ? error.message : String(error)}`, {
      retryable: false,
      cause: error,
    });
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc
        .getContexts()
        .map((c) => c.name)
        .join(", ");
      throw new ClusterError(`kubeconfig has no context "${options.context}" (known: ${known || "none"})`, {
        retryable: false,
      });
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ClusterError("kubeconfig has no current context with a cluster", { retryable: false });
  }
  return kc;
}

/**
 * The cluster connector's `kubeconfigEndpoint` for local mode: the user's kubeconfig through
 * client-node (exec plugins such as `aws eks get-token`, file references, proxies).
 */
export async function clientNodeKubeconfigEndpoint(kubeconfig: {
  text: string;
  context?: string | undefined;
}): Promise<{ kubeConfig: KubeConfig }> {
  return { kubeConfig: kubeConfigFromText(kubeconfig) };
}
