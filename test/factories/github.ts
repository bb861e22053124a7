/** Factories for the GitHub side: App keys, injected secrets, clients pointed at the fake, reports. */
import { generateKeyPairSync } from "node:crypto";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { ConfigError } from "../../lib/errors.ts";
import {
  createGitHubClientProvider,
  type GitHubClientProvider,
  type GitHubRetryEvent,
} from "../../lib/github/adapters/github-client.ts";
import type { FinishReport, PendingReport } from "../../lib/reporting/commit-reporter.ts";

export const TEST_APP_ID = "424242";
export const TEST_TOKEN = "test-token";
export const APP_KEY_REF = "ssm:/pullbridge/test/github-app-key";
export const TOKEN_REF = "secretsmanager:pullbridge/test/github-token";

let keyPair: { privateKey: string; publicKey: string } | undefined;

/** An RSA key pair for the test GitHub App; the private key is PKCS#1 PEM, as GitHub issues it. */
export function testAppKeyPair(): { privateKey: string; publicKey: string } {
  keyPair ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return keyPair;
}

/** A SecretReader over fixed values; records which refs were read. */
export function fakeSecrets(values: Readonly<Record<string, string>>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(ref) {
      reads.push(ref);
      const value = values[ref];
      if (value === undefined) throw new ConfigError(ref, "secret not found");
      return value;
    },
  };
}

/** Records the waits the retry hook asks for and returns at once (no timing in tests). */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

export type FakeClients = {
  clients: GitHubClientProvider;
  /** Waits requested by the retry hook, in ms. */
  waits: number[];
  retries: GitHubRetryEvent[];
  secrets: SecretReader & { reads: string[] };
};

/**
 * A client provider pointed at the GitHub fake. `app`: App credentials plus the fallback token;
 * `token`: the token only. Retry waits are recorded, not slept.
 */
export function clientsForFake(baseUrl: string, mode: "app" | "token" = "app"): FakeClients {
  const { sleep, waits } = recordingSleep();
  const retries: GitHubRetryEvent[] = [];
  const secrets = fakeSecrets({ [APP_KEY_REF]: testAppKeyPair().privateKey, [TOKEN_REF]: TEST_TOKEN });
  const clients = createGitHubClientProvider({
    config: {
      baseUrl,
      tokenRef: TOKEN_REF,
      ...(mode === "app" ? { app: { appId: TEST_APP_ID, privateKeyRef: APP_KEY_REF } } : {}),
    },
    secrets,
    sleep,
    onRetry: (event) => retries.push(event),
  });
  return { clients, waits, retries, secrets };
}

/** A pending report for `sha` with sensible defaults. */
export function aPendingReport(
  overrides: Partial<PendingReport> & Pick<PendingReport, "repo" | "sha">,
): PendingReport {
  return { target: "prod", description: "syncing", ...overrides };
}

/** A successful sync report for `sha` with sensible defaults. */
export function aFinishReport(
  overrides: Partial<FinishReport> & Pick<FinishReport, "repo" | "sha">,
): FinishReport {
  return {
    target: "prod",
    state: "success",
    description: "1 created in 0.2s",
    summary: "### Created (1)\n\n- `ConfigMap team-a/settings`",
    text: "#### `ConfigMap team-a/settings`\n\n```diff\n+data:\n+  mode: fast\n```",
    ...overrides,
  };
}
