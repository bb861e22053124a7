/**
 * The connector builds one client per cluster and identity and replaces it when its token comes
 * close to expiring; the replaced client is closed (its keep-alive agent destroyed), so a warm
 * container does not collect open sockets with every token rotation.
 */
import { describe, expect, inject, it } from "vitest";
import type { ClusterCredentialsResolver } from "../../../lib/cluster/adapters/credentials-resolver.ts";
import { createClusterConnector } from "../../../lib/cluster/cluster-connector.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { ClusterError } from "../../../lib/errors.ts";
import { CONFIGMAPS } from "../../factories/sync.ts";

describe("the cluster connector", () => {
  it("closes the client it replaces when the token is renewed, and keeps the new one working", async () => {
    // Prepare: an EKS-style token that expires in 15 minutes, renewed 1 minute before.
    const cp = inject("controlPlane");
    const config = parseTargetsConfig({
      version: 1,
      clusters: { prod: { type: "eks", name: "prod", region: "eu-west-1" } },
      targets: [
        { name: "web", repo: "acme/web", branch: "main", path: "deploy", cluster: "prod", namespace: "web" },
      ],
    });
    let clock = Date.parse("2026-01-01T00:00:00Z");
    let resolved = 0;
    const resolver: ClusterCredentialsResolver = {
      resolve: async () => {
        resolved += 1;
        return {
          credentials: {
            kind: "token",
            server: cp.server,
            caData: Buffer.from(cp.caPem).toString("base64"),
            token: cp.admin.token,
            expiresAt: new Date(clock + 15 * 60_000),
          },
        };
      },
    };
    const connect = createClusterConnector({
      config,
      resolver,
      now: () => new Date(clock),
      refreshBeforeExpiryMs: 60_000,
    });
    const [target] = config.targets;
    if (!target) throw new Error("no target");
    const first = await connect(target, "sync");
    await first.get({ resource: CONFIGMAPS, namespace: "default", name: "absent" });
    const reused = await connect(target, "sync");

    // Act
    clock += 14 * 60_000 + 1;
    const renewed = await connect(target, "sync");
    const oldClient = await first.get({ resource: CONFIGMAPS, namespace: "default", name: "absent" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const newClient = await renewed.get({ resource: CONFIGMAPS, namespace: "default", name: "absent" });

    // Assess
    expect(reused).toBe(first);
    expect(renewed).not.toBe(first);
    expect(resolved).toBe(2);
    expect(oldClient).toBeInstanceOf(ClusterError);
    expect(oldClient).toMatchObject({ failureClass: "closed", retryable: true });
    expect(newClient).toBeUndefined();
    await renewed.close?.();
  });
});
