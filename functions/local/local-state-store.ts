/**
 * Local mode's state store: moto in server mode (the emulator the tests use, with real
 * conditional writes), installed the first time through the same script `.ci/run` runs
 * (test/support/moto/install-moto.sh, cached under ~/.cache/pullbridge/moto), started for this
 * run and stopped with it, holding one versioned bucket as the deployed stack does. Without
 * Python 3 there is no moto: local mode then runs without a store and says so.
 */
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { ensureMoto, MOTO_CREDENTIALS, MOTO_REGION, startMoto } from "../../test/support/moto.ts";

/** The bucket local mode keeps its state in (moto's state lives only as long as the run). */
const LOCAL_STATE_BUCKET = "pullbridge-local-state";

export type LocalStateStore = { endpoint: string; bucket: string; stop(): Promise<void> };

/**
 * Installs (first run, with progress lines through `say`) and starts moto, and creates the
 * bucket; `unavailable` says why not when Python 3 (with venv) is missing.
 */
export async function startLocalStateStore(
  say: (text: string) => void,
): Promise<{ store: LocalStateStore } | { unavailable: string }> {
  let install = await ensureMoto({ check: true });
  if (install.kind !== "installed") {
    say(
      "No moto yet: installing it (PyPI) into a venv for the state store (S3). This happens once\n" +
        "(about 2 minutes, needs Python 3 with venv) and is cached under ~/.cache/pullbridge/moto.",
    );
    install = await ensureMoto({ onProgress: (line) => say(`  ${line}`) });
  }
  if (install.kind !== "installed") return { unavailable: install.reason };
  const moto = await startMoto({ binDir: install.binDir });
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: LOCAL_STATE_BUCKET })).catch((error: unknown) => {
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    });
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: LOCAL_STATE_BUCKET,
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
  } catch (error) {
    await moto.stop();
    throw error;
  } finally {
    s3.destroy();
  }
  return { store: { endpoint: moto.endpoint, bucket: LOCAL_STATE_BUCKET, stop: moto.stop } };
}
