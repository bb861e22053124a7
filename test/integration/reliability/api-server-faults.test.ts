/**
 * Reliability: the API server is paused (SIGSTOP, like a frozen VM) or killed (SIGKILL, like an
 * OOM kill) at a random point of each of 20 syncs, while the object set changes kinds and members
 * from push to push. Each sync must converge to its commit, and the ApplySet inventory must never
 * lose a member: every object carrying the target's `part-of` label is of a group-kind the parent
 * lists — checked right after each fault and after convergence. Own control plane, so the faults
 * do not disturb other tests. Seeded (FC_SEED or a fixed default), so a run can be repeated.
 */

import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { type ControlPlane, startControlPlane } from "../../support/control-plane/control-plane.ts";
import { createGrantedNamespace } from "../../support/kube.ts";

const SYNCS = 20;
/** Every KILL_EVERY-th sync kills the server; the others pause it. */
const KILL_EVERY = 5;
const NAMESPACE = "faults";
const SEED = Number(process.env.FC_SEED ?? 20261202);

/** mulberry32: a tiny seeded PRNG, so the fault points repeat with the seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ["ConfigMap", "Secret", "ServiceAccount"] as const;
const UNIVERSE = KINDS.flatMap((kind) =>
  [0, 1, 2].map((n) => ({ kind, name: `${kind.toLowerCase()}-${n}` })),
);

function manifest(member: (typeof UNIVERSE)[number], version: number): string {
  const head = `apiVersion: v1\nkind: ${member.kind}\nmetadata:\n  name: ${member.name}\n`;
  if (member.kind === "ConfigMap") return `${head}data:\n  version: "${version}"\n`;
  if (member.kind === "Secret") return `${head}stringData:\n  version: "${version}"\n`;
  return `${head}  labels:\n    version: "${version}"\n`;
}

let cp: ControlPlane;
let bridge: Bridge;
let core: CoreV1Api;
let workerCore: CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane({ binDir: inject("controlPlane").binDir });
  const admin = new KubeConfig();
  admin.loadFromFile(join(cp.dir, "admin.kubeconfig"));
  core = admin.makeApiClient(CoreV1Api);
  const worker = new KubeConfig();
  worker.loadFromFile(join(cp.dir, "worker.kubeconfig"));
  workerCore = worker.makeApiClient(CoreV1Api);
  await createGrantedNamespace(admin, NAMESPACE);
  bridge = await startBridge({
    workerKubeconfig: join(cp.dir, "worker.kubeconfig"),
    namespace: NAMESPACE,
    // Jobs fail fast while the server is down; the queue must not give up on them meanwhile.
    maxReceiveCount: 1000,
  });
}, 180_000);

afterAll(async () => {
  await bridge?.close();
  await cp?.stop();
});

/**
 * `/readyz` can answer ok while the RBAC authorizer's caches are still filling, and the worker
 * would get a 403 (a permanent failure); a readiness-checked load balancer would not route yet.
 */
async function untilWorkerAuthorized(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await workerCore.listNamespacedConfigMap({ namespace: NAMESPACE }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error("the worker identity never became authorized after the restart");
}

/** Labelled members as `Kind/name`, and the group-kinds the ApplySet parent lists. */
async function inventory(): Promise<{ members: string[]; parentKinds: string[] | undefined }> {
  const selector = { namespace: NAMESPACE, labelSelector: "applyset.kubernetes.io/part-of" };
  const [cms, secrets, sas, parents] = await Promise.all([
    core.listNamespacedConfigMap(selector),
    core.listNamespacedSecret(selector),
    core.listNamespacedServiceAccount(selector),
    core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector: "applyset.kubernetes.io/id" }),
  ]);
  const members = [
    ...cms.items.map((o) => `ConfigMap/${o.metadata?.name}`),
    ...secrets.items.map((o) => `Secret/${o.metadata?.name}`),
    ...sas.items.map((o) => `ServiceAccount/${o.metadata?.name}`),
  ].sort();
  const listed = parents.items[0]?.metadata?.annotations?.["applyset.kubernetes.io/contains-group-kinds"];
  return { members, parentKinds: listed?.split(",").map((gk) => gk.split(".")[0] ?? gk) };
}

/** Members whose group-kind the parent does not list (orphans if the sync never came back). */
function lost(snapshot: { members: string[]; parentKinds: string[] | undefined }): string[] {
  return snapshot.members.filter((m) => !(snapshot.parentKinds ?? []).includes(m.split("/")[0] ?? ""));
}

describe("API server paused and killed during syncs", () => {
  it("every sync converges and the inventory never loses a member", async () => {
    // Prepare
    const rand = random(SEED);
    const present = new Set<string>();
    const outcomes: Array<{
      fault: string;
      atMs: number;
      attempts: number;
      converged: boolean;
      lost: string[];
      /** The last status posted, so a failure says why. */
      last: string;
    }> = [];

    for (let i = 0; i < SYNCS; i++) {
      // A new desired set every push: some members come, some go, kinds appear and vanish.
      const wanted = UNIVERSE.filter(() => rand() < 0.5);
      if (wanted.length === 0) wanted.push(UNIVERSE[i % UNIVERSE.length] ?? { kind: "ConfigMap", name: "x" });
      const files: Record<string, string | null> = {};
      for (const member of UNIVERSE) {
        const path = `deploy/${member.name}.yaml`;
        if (wanted.includes(member)) {
          files[path] = manifest(member, i);
          present.add(path);
        } else if (present.has(path)) {
          files[path] = null;
          present.delete(path);
        }
      }
      const fault = i % KILL_EVERY === KILL_EVERY - 1 ? "kill" : "pause";
      const atMs = Math.floor(rand() * 400);
      const pauseMs = 300 + Math.floor(rand() * 1200);

      // Act
      const { sha } = await bridge.push(files);
      let attempts = 0;
      const finalState = () => bridge.world.fake.statuses(sha).at(-1)?.state;
      // Like a load balancer with readiness checks, new attempts reach a killed server only once it
      // is ready again (a starting kube-apiserver answers before its RBAC caches are filled).
      let gate: Promise<void> = Promise.resolve();
      let open = () => {};
      const done = () => finalState() === "success" || finalState() === "failure" || finalState() === "error";
      const draining = (async () => {
        for (let poll = 0; poll < 300 && !done(); poll++) {
          await gate;
          const result = await bridge.pollOnce();
          attempts += result.received;
          if (result.succeeded === 0) await sleep(200);
        }
      })();
      await sleep(atMs);
      if (fault === "pause") {
        await cp.signalApiServer("SIGSTOP");
        await sleep(pauseMs);
        await cp.signalApiServer("SIGCONT");
      } else {
        gate = new Promise((resolve) => {
          open = resolve;
        });
        await cp.signalApiServer("SIGKILL");
        await cp.startApiServer();
        await untilWorkerAuthorized();
        open();
      }
      const afterFault = await inventory();
      await draining;
      const converged = await inventory();

      outcomes.push({
        fault,
        atMs,
        attempts,
        converged:
          finalState() === "success" &&
          JSON.stringify(converged.members) ===
            JSON.stringify(wanted.map((m) => `${m.kind}/${m.name}`).sort()),
        lost: [...lost(afterFault), ...lost(converged)],
        last: (({ state, description }) => `${state}: ${description}`)(
          bridge.world.fake.statuses(sha).at(-1) ?? { state: "none", description: "" },
        ),
      });
    }
    const kills = outcomes.filter((o) => o.fault === "kill");
    console.log(
      `[reliability] api server faults: ${SYNCS} syncs (${SYNCS - kills.length} paused, ${kills.length} killed; seed ${SEED}), ${outcomes.filter((o) => o.converged).length} converged, ${outcomes.reduce((n, o) => n + o.lost.length, 0)} members lost, ${outcomes.reduce((n, o) => n + o.attempts, 0)} job attempts (${outcomes.filter((o) => o.attempts > 1).length} syncs retried)`,
    );

    // Assess
    expect(outcomes.filter((o) => !o.converged || o.lost.length > 0)).toEqual([]);
  }, 600_000);
});
