/** The webhook's view of the config in force: the targets to route and the config repository's generators. */
import type { CurrentConfigSource } from "../config/current-config.ts";
import { withStoredTargets } from "../config/stored-config.ts";
import type { TargetsFile } from "../config/targets.ts";
import type { DeliveryConfig } from "./handle-delivery.ts";

/** Reads the stored config per delivery (one conditional GET) and shapes it for routing. */
export function deliveryConfigOf(
  stack: TargetsFile,
  current: CurrentConfigSource,
): () => Promise<DeliveryConfig> {
  return async () => {
    const stored = await current.stored();
    return {
      targets: withStoredTargets(stack, stored).targets,
      routing: {
        configRepository: stack.configRepository,
        directorySources: stored?.directorySources ?? [],
        pullRequestGenerators: stored?.pullRequestGenerators ?? [],
      },
    };
  };
}
