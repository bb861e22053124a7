/**
 * Reading secrets from SSM Parameter Store (SecureString, decrypted) or Secrets Manager through
 * Powertools Parameters, cached per container for `maxAge` so warm invocations make no call and
 * a rotated value is picked up without a redeploy. Shared by every function that needs a secret.
 *
 * References name the store: `ssm:/pullbridge/prod/webhook-secret`,
 * `secretsmanager:pullbridge/webhook`. A bare `/name` means SSM (the serverless.yml convention).
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { ConfigError, DependencyError } from "../../errors.ts";

/** Reads a secret's text by reference. Never log what it returns. */
export interface SecretReader {
  read(ref: string): Promise<string>;
}

export type SecretStore = "ssm" | "secretsmanager";
export type ParsedSecretRef = { readonly store: SecretStore; readonly name: string };

export const DEFAULT_SECRETS_MAX_AGE_SECONDS = 300;

/** Parses `ssm:<name>`, `secretsmanager:<name>` or a bare `/ssm/name`; throws ConfigError naming `field`. */
export function parseSecretRef(ref: string, field = "secret"): ParsedSecretRef {
  const text = ref.trim();
  if (text.startsWith("/")) return { store: "ssm", name: text };
  const match = /^(ssm|secretsmanager):(.+)$/.exec(text);
  const store = match?.[1];
  const name = match?.[2];
  if ((store !== "ssm" && store !== "secretsmanager") || name === undefined) {
    throw new ConfigError(
      field,
      `must be \`ssm:/parameter/name\`, \`/parameter/name\` or \`secretsmanager:secret-name\`, got "${text}"`,
    );
  }
  return { store, name };
}

/**
 * Splits one stored value into secrets: a JSON array of strings (`["new","old"]`), a JSON object
 * whose string values are secrets (`{"current":"…","previous":"…"}`), or else the whole text as
 * one secret. Empty entries are dropped.
 */
export function splitSecretList(value: string): string[] {
  const text = value.trim();
  if (text.startsWith("[") || text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return text === "" ? [] : [text];
    }
    const values: unknown[] = Array.isArray(parsed)
      ? parsed
      : typeof parsed === "object" && parsed !== null
        ? Object.values(parsed)
        : [];
    return values.filter((v): v is string => typeof v === "string" && v !== "");
  }
  return text === "" ? [] : [text];
}

const NOT_READABLE = new Set([
  "ParameterNotFound",
  "ParameterNotFoundError",
  "ParameterVersionNotFound",
  "ResourceNotFoundException",
  "AccessDeniedException",
  "AccessDenied",
]);

function errorNames(error: unknown): string[] {
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    names.push(current.name);
    current = current.cause;
  }
  return names;
}

export type ParametersSecretReaderOptions = {
  /** Cache lifetime per container, in seconds (Powertools `maxAge`). */
  maxAgeSeconds?: number;
  /** SDK clients to use (tests, custom endpoints); default: Powertools builds one per store on first use. */
  ssmClient?: SSMClient;
  secretsManagerClient?: SecretsManagerClient;
};

type Fetch = (name: string, maxAge: number) => Promise<string | Uint8Array | undefined>;

/** A SecretReader on Powertools Parameters. Build it once per container (module scope). */
export function createParametersSecretReader(options: ParametersSecretReaderOptions = {}): SecretReader {
  const maxAge = options.maxAgeSeconds ?? DEFAULT_SECRETS_MAX_AGE_SECONDS;
  // Providers (and their SDK clients) are loaded on first use only: a function that reads only
  // SSM never initialises the Secrets Manager client, and module load stays cheap.
  let ssm: Promise<Fetch> | undefined;
  let secretsManager: Promise<Fetch> | undefined;
  const loadSsm = async (): Promise<Fetch> => {
    const { SSMProvider } = await import("@aws-lambda-powertools/parameters/ssm");
    const provider = new SSMProvider(options.ssmClient ? { awsSdkV3Client: options.ssmClient } : {});
    return (name, age) => provider.get(name, { decrypt: true, maxAge: age });
  };
  const loadSecretsManager = async (): Promise<Fetch> => {
    const { SecretsProvider } = await import("@aws-lambda-powertools/parameters/secrets");
    const provider = new SecretsProvider(
      options.secretsManagerClient ? { awsSdkV3Client: options.secretsManagerClient } : {},
    );
    return (name, age) => provider.get(name, { maxAge: age });
  };

  const providerFor = (store: SecretStore): Promise<Fetch> => {
    if (store === "ssm") {
      ssm ??= loadSsm();
      return ssm;
    }
    secretsManager ??= loadSecretsManager();
    return secretsManager;
  };

  return {
    async read(ref) {
      const { store, name } = parseSecretRef(ref);
      let value: string | Uint8Array | undefined;
      try {
        value = await (await providerFor(store))(name, maxAge);
      } catch (error) {
        // Missing or unauthorised secrets need a person; anything else (network, throttling) may pass.
        if (errorNames(error).some((n) => NOT_READABLE.has(n))) {
          throw new ConfigError(ref, "secret not found or not readable by this function", { cause: error });
        }
        throw new DependencyError(`reading secret ${ref} failed`, { cause: error });
      }
      if (value === undefined || value.length === 0) throw new ConfigError(ref, "secret is empty");
      return typeof value === "string" ? value : new TextDecoder().decode(value);
    },
  };
}

/** Reads every reference and returns the union of their secrets, in order, without duplicates. */
export async function readSecretList(reader: SecretReader, refs: readonly string[]): Promise<string[]> {
  const values = await Promise.all(refs.map((ref) => reader.read(ref)));
  const secrets = [...new Set(values.flatMap(splitSecretList))];
  if (secrets.length === 0) throw new ConfigError(refs.join(","), "no secret configured");
  return secrets;
}
