/**
 * `X-Hub-Signature-256` check with @octokit/webhooks (its HMAC-SHA256 + timing-safe compare).
 * Runs on the raw body before anything parses it. Several secrets may be valid at once so a
 * secret can be rotated without dropping deliveries: list the new one, switch GitHub, drop the old.
 */
import { verify } from "@octokit/webhooks-methods";

export const SIGNATURE_HEADER = "x-hub-signature-256";

const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

export type SignatureCheck =
  | {
      readonly valid: true;
      /** Position of the secret that matched (0 = current), for rotation logs. */
      readonly secretIndex: number;
    }
  | { readonly valid: false; readonly reason: "missing" | "malformed" | "mismatch" | "no-secrets" };

/** Checks `signature` against the raw `payload` with each secret in turn. Never throws. */
export async function verifySignature(
  secrets: readonly string[],
  payload: string,
  signature: string | undefined,
): Promise<SignatureCheck> {
  if (signature === undefined || signature === "") return { valid: false, reason: "missing" };
  if (!SIGNATURE_FORMAT.test(signature)) return { valid: false, reason: "malformed" };
  if (secrets.length === 0) return { valid: false, reason: "no-secrets" };
  // GitHub never sends an empty body; the library refuses one, so it cannot match.
  if (payload === "") return { valid: false, reason: "mismatch" };
  for (const [secretIndex, secret] of secrets.entries()) {
    if (secret !== "" && (await verify(secret, payload, signature))) return { valid: true, secretIndex };
  }
  return { valid: false, reason: "mismatch" };
}
