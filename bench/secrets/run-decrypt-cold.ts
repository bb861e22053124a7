/**
 * `npm run bench:decrypt-cold`: what SOPS decryption adds to a worker's cold start. The worker
 * loads the KMS SDK and the age library only on the first encrypted file (docs/decisions/0283), so
 * its module load is unchanged (`npm run bench:worker-cold`); the cost moves to the first sync
 * that decrypts. Each number is the median of fresh `node` processes: the import of the KMS SDK,
 * the first and the second `kms:Decrypt` of a data key (against moto on loopback, so the
 * difference is client set-up, not the network), the import of age-encryption with the first
 * age decrypt, and verifying one SOPS file (parse, AES-GCM, MAC). Prints Markdown.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { createTestKmsKey, rewrapForKms, SOPS_FIXTURES, sopsFixture } from "../../test/factories/sops.ts";
import { ensureMoto, MOTO_CREDENTIALS, MOTO_REGION, startMoto } from "../../test/support/moto.ts";

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
const root = join(import.meta.dirname, "..", "..");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? Number.NaN) * 10) / 10;
}

/** Runs `script` (an ES module body printing one JSON line of timings) in `RUNS` fresh processes. */
function fresh(script: string, env: Record<string, string> = {}): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(child.stderr);
    const timings = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>;
    for (const [k, v] of Object.entries(timings)) samples[k] = [...(samples[k] ?? []), v];
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

const install = await ensureMoto();
if (install.kind !== "installed") throw new Error(`moto: ${install.reason}`);
const moto = await startMoto({ binDir: install.binDir });
try {
  const kms = new KMSClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
  const arn = await createTestKmsKey(kms);
  const file = await rewrapForKms(sopsFixture("secret.enc.yaml"), { kms, arn, kmsOnly: true });
  const loadBefore = loadavg().map((x) => x.toFixed(2));
  const kmsTimes = fresh(
    `const t0 = performance.now();
const { createKmsDataKeys } = await import("./lib/secrets/adapters/kms-data-keys.ts");
const { parseSopsFile } = await import("./lib/secrets/sops/sops-document.ts");
const t1 = performance.now();
const doc = parseSopsFile("s.yaml", ${JSON.stringify(file)});
const entry = doc.metadata.kms[0];
const keys = createKmsDataKeys();
const ask = () => keys.decrypt({ arn: entry.arn, ciphertext: Buffer.from(entry.enc, "base64"), context: entry.context, file: "s.yaml" });
const t2 = performance.now(); await ask(); const t3 = performance.now(); await ask(); const t4 = performance.now();
console.log(JSON.stringify({ decoderImport: t1 - t0, firstDecrypt: t3 - t2, secondDecrypt: t4 - t3 }));`,
    {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    },
  );
  const ageTimes = fresh(
    `const { readFileSync } = await import("node:fs");
const { createAgeIdentities } = await import("./lib/secrets/adapters/age-identities.ts");
const { parseSopsFile } = await import("./lib/secrets/sops/sops-document.ts");
const { decryptTree } = await import("./lib/secrets/sops/sops-cipher.ts");
const text = readFileSync(${JSON.stringify(join(SOPS_FIXTURES, "secret.enc.yaml"))}, "utf8");
const identities = createAgeIdentities(async () => readFileSync(${JSON.stringify(join(SOPS_FIXTURES, "age-team-a.txt"))}, "utf8"), "bench");
const t0 = performance.now();
const doc = parseSopsFile("s.yaml", text);
const key = await identities.decrypt({ armored: doc.metadata.age[0].enc, file: "s.yaml" });
const t1 = performance.now();
const t2 = performance.now(); const tree = decryptTree(doc.branches, doc.metadata, key); const t3 = performance.now();
if (!tree.macMatches) throw new Error("MAC");
const t4 = performance.now(); await identities.decrypt({ armored: doc.metadata.age[0].enc, file: "s.yaml" }); const t5 = performance.now();
console.log(JSON.stringify({ firstAge: t1 - t0, verify: t3 - t2, secondAge: t5 - t4 }));`,
  );
  const sdkImport = fresh(
    `const t0 = performance.now(); await import("@aws-sdk/client-kms"); const t1 = performance.now(); await import("age-encryption"); const t2 = performance.now();
console.log(JSON.stringify({ kmsSdk: t1 - t0, ageLib: t2 - t1 }));`,
  );
  const loadAfter = loadavg().map((x) => x.toFixed(2));
  console.log(
    [
      `Load average (1/5/15 min) before ${loadBefore.join(" / ")}, after ${loadAfter.join(" / ")}; ${new Date().toISOString()}; median of ${RUNS} fresh processes each`,
      "",
      "| measure | median |",
      "|---|---|",
      `| import \`@aws-sdk/client-kms\` (first encrypted file only) | ${sdkImport.kmsSdk} ms |`,
      `| import \`age-encryption\` (first age file only) | ${sdkImport.ageLib} ms |`,
      `| import the SOPS decoder and KMS adapter (TypeScript, unbundled) | ${kmsTimes.decoderImport} ms |`,
      `| first \`kms:Decrypt\` of a data key (SDK import, client, credentials, call) | ${kmsTimes.firstDecrypt} ms |`,
      `| second \`kms:Decrypt\` (warm client; moto on loopback) | ${kmsTimes.secondDecrypt} ms |`,
      `| first age decrypt of a data key (library import + X25519) | ${ageTimes.firstAge} ms |`,
      `| second age decrypt | ${ageTimes.secondAge} ms |`,
      `| verify one Secret file (4 values: AES-GCM, MAC) | ${ageTimes.verify} ms |`,
    ].join("\n"),
  );
} finally {
  await moto.stop();
}
