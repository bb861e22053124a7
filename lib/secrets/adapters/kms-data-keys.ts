/**
 * The AWS KMS side of SOPS: `Decrypt` of a file's data key, with the encryption context SOPS
 * recorded and the key SOPS named as `KeyId` (KMS refuses a ciphertext of any other key). The
 * SDK is loaded on the first decrypt, not at module load (docs/decisions 0007): a worker whose
 * targets hold no encrypted file never pays for it. One client per region, the region taken from
 * the key ARN; the worker's own credentials (a `role` in a file's metadata is never assumed).
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import { classifyAwsError } from "../../cluster/credentials-aws-errors.ts";
import { DecryptionError } from "../../errors.ts";
import type { KmsDataKeys } from "../key-ring.ts";

export type KmsDataKeysOptions = {
  /** A client per region; default `new KMSClient({ region })` (tests point `endpoint` at moto). */
  clientFor?: (region: string) => KMSClient;
};

let kmsSdk: Promise<typeof import("@aws-sdk/client-kms")> | undefined;
const loadKmsSdk = () => {
  kmsSdk ??= import("@aws-sdk/client-kms");
  return kmsSdk;
};

/** Errors that mean the caller may not use the key, or the key cannot decrypt now: a person must act. */
const DENIED = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
]);
const WRONG_KEY = new Set(["IncorrectKeyException", "InvalidCiphertextException"]);
const KEY_CONFIG = new Set([
  "DisabledException",
  "KMSInvalidStateException",
  "NotFoundException",
  "InvalidKeyUsageException",
]);
const THROTTLED = new Set(["ThrottlingException", "LimitExceededException", "TooManyRequestsException"]);

/** `arn:aws:kms:eu-west-1:…` → `eu-west-1`. */
function regionOf(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(arn)?.[1];
}

/** Creates the KMS port. Build it once per container: its clients are reused. */
export function createKmsDataKeys(options: KmsDataKeysOptions = {}): KmsDataKeys {
  const clients = new Map<string, Promise<KMSClient>>();
  const client = (region: string) => {
    let existing = clients.get(region);
    if (existing === undefined) {
      const { clientFor } = options;
      existing =
        clientFor === undefined
          ? loadKmsSdk().then(({ KMSClient }) => new KMSClient({ region }))
          : Promise.resolve(clientFor(region));
      clients.set(region, existing);
    }
    return existing;
  };
  return {
    async decrypt({ arn, ciphertext, context, file, signal }) {
      const region = regionOf(arn);
      if (region === undefined) {
        throw new DecryptionError("key-config", `${file}: ${arn} is not a KMS key ARN`, {
          retryable: false,
          file,
        });
      }
      const [{ DecryptCommand }, kms] = await Promise.all([loadKmsSdk(), client(region)]);
      try {
        const answer = await kms.send(
          new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: { ...context }, KeyId: arn }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        if (!(answer.Plaintext instanceof Uint8Array) || answer.Plaintext.length !== 32) {
          throw new DecryptionError("wrong-key", `${file}: KMS key ${arn} returned no 32-byte data key`, {
            retryable: false,
            file,
          });
        }
        return answer.Plaintext;
      } catch (error) {
        if (error instanceof DecryptionError) throw error;
        throw kmsFailure(error, { arn, file });
      }
    },
  };
}

/** A KMS error as a DecryptionError naming the file and key; the service's own message carries no plaintext. */
function kmsFailure(error: unknown, where: { arn: string; file: string }): DecryptionError {
  const { arn, file } = where;
  const facts = classifyAwsError(error);
  const said = `${facts.code}${facts.message ? `: ${facts.message}` : ""}`;
  if (DENIED.has(facts.code)) {
    return new DecryptionError(
      "denied",
      `${file}: kms:Decrypt on ${arn} was denied (${said}): the key policy and this identity's IAM policy must allow it (docs/secrets.md)`,
      { retryable: false, file, cause: error },
    );
  }
  if (WRONG_KEY.has(facts.code)) {
    return new DecryptionError(
      "wrong-key",
      `${file}: its data key does not decrypt with KMS key ${arn} and the encryption context it records (${said})`,
      { retryable: false, file, cause: error },
    );
  }
  if (KEY_CONFIG.has(facts.code)) {
    return new DecryptionError("key-config", `${file}: KMS key ${arn} cannot decrypt (${said})`, {
      retryable: false,
      file,
      cause: error,
    });
  }
  if (THROTTLED.has(facts.code)) {
    return new DecryptionError("throttled", `${file}: KMS throttled kms:Decrypt on ${arn} (${said})`, {
      retryable: true,
      file,
      cause: error,
    });
  }
  return new DecryptionError("unavailable", `${file}: kms:Decrypt on ${arn} failed (${said})`, {
    retryable: facts.retryable,
    file,
    cause: error,
  });
}
