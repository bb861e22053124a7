/**
 * The fleet benchmark's monorepo: `TARGETS` Kustomize overlays (`apps/<namespace>/<app>/`) spread
 * over `NAMESPACES` namespaces, each reading one shared base elsewhere in the repository
 * (`bases/web/`), plus incompressible assets that bring the repository (and its tarball) to about
 * `REPO_MB` megabytes — what a platform team's monorepo holds besides manifests.
 */
import { randomBytes } from "node:crypto";

export type FleetShape = { targets: number; namespaces: number; repoMb: number };

/** `app-0042` (DNS-label target and object names). */
export const appName = (i: number) => `app-${String(i).padStart(4, "0")}`;
/** The namespace (and directory) of app `i`. */
export const namespaceOf = (i: number, shape: FleetShape, prefix: string) =>
  `${prefix}-${i % shape.namespaces}`;
/** The overlay directory of app `i`. */
export const appPath = (i: number, shape: FleetShape) => `apps/ns-${i % shape.namespaces}/${appName(i)}`;

/** The overlay of app `i` at `round` (a push touching one app bumps its round). */
export function appKustomization(i: number, round: number): string {
  const name = appName(i);
  return [
    "resources:",
    "  - ../../../bases/web",
    `namePrefix: ${name}-`,
    "labels:",
    "  - pairs:",
    `      app.kubernetes.io/instance: ${name}`,
    "configMapGenerator:",
    "  - name: settings",
    "    literals:",
    `      - APP=${name}`,
    `      - ROUND=${round}`,
    "",
  ].join("\n");
}

const BASE: Record<string, string> = {
  "bases/web/kustomization.yaml": "resources:\n  - deployment.yaml\n",
  "bases/web/deployment.yaml": [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: web",
    "spec:",
    "  replicas: 1",
    "  selector:",
    "    matchLabels:",
    "      app: web",
    "  template:",
    "    metadata:",
    "      labels:",
    "        app: web",
    "    spec:",
    "      containers:",
    "        - name: web",
    "          image: nginx:1.27",
    "          envFrom:",
    "            - configMapRef:",
    "                name: settings",
    "",
  ].join("\n"),
};

/** Every file of the first commit: the base, the overlays and the assets. */
export function fleetFiles(shape: FleetShape): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = { ...BASE };
  let manifestBytes = 0;
  for (let i = 0; i < shape.targets; i++) {
    const text = appKustomization(i, 0);
    files[`${appPath(i, shape)}/kustomization.yaml`] = text;
    manifestBytes += text.length;
  }
  // 256 KiB random files: incompressible, so the tarball weighs what the repository weighs.
  const assetBytes = Math.max(0, shape.repoMb * 1024 * 1024 - manifestBytes);
  const chunk = 256 * 1024;
  for (let n = 0; n * chunk < assetBytes; n++) {
    files[`assets/blob-${String(n).padStart(4, "0")}.bin`] = new Uint8Array(randomBytes(chunk));
  }
  return files;
}
