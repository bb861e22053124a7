/**
 * What the command-line entry points (the `pullbridge` CLI, `npm start`, `npm run demo`) read from
 * the user's shell, as typed values: the only reader of `process.env` for them. Conventional
 * variables keep their names, so the palette and the kubeconfig lookup take them as they are.
 *
 * | variable | meaning |
 * |---|---|
 * | `NO_COLOR` / `FORCE_COLOR` | colour on a terminal (https://no-color.org, and the Node convention) |
 * | `KUBECONFIG` | kubeconfig file list, as kubectl reads it |
 * | `PULLBRIDGE_GITHUB_TOKEN` | the developer's token: local mode reads GitHub and posts statuses with it; `pullbridge status` reads deployments |
 * | `PULLBRIDGE_GITHUB_API_URL` | REST API root for that token (GitHub Enterprise Server) |
 * | `PULLBRIDGE_WEBHOOK_SECRET` | local mode only: the secret deliveries are signed with |
 * | `KUBEBUILDER_ASSETS` / `PULLBRIDGE_CACHE_DIR` | local mode only: where built control-plane binaries are |
 * | `AWS_REGION` / `AWS_DEFAULT_REGION` | region of a targets file's EKS clusters that name none (the AWS SDK reads credentials and endpoints itself) |
 * | `SOPS_AGE_KEY` / `SOPS_AGE_KEY_FILE` | the caller's age identities for SOPS files, as `sops` reads them (default file: `$XDG_CONFIG_HOME/sops/age/keys.txt`) |
 */
import { type Env, optionalString } from "./adapters/read-env.ts";

/** The terminal's and kubectl's conventional variables. */
export type TerminalEnv = {
  readonly NO_COLOR: string | undefined;
  readonly FORCE_COLOR: string | undefined;
  readonly KUBECONFIG: string | undefined;
  /**
   * The renderer helper: `PULLBRIDGE_RENDERER_PATH`, else what `bash infra/renderer/build.sh` last
   * built (`renderer/current` in its cache: `$PULLBRIDGE_CACHE_DIR`, else `$XDG_CACHE_HOME/pullbridge`,
   * else `~/.cache/pullbridge`, as the script chooses it).
   */
  readonly PULLBRIDGE_RENDERER_PATH: string;
  /** `PULLBRIDGE_GITHUB_TOKEN`, byte for byte. */
  readonly githubToken: string | undefined;
  readonly githubApiUrl: string | undefined;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  readonly awsRegion: string | undefined;
  /** The caller's age identities for SOPS files, inline (`SOPS_AGE_KEY`), as `sops` reads them. */
  readonly SOPS_AGE_KEY: string | undefined;
  /** The file of the caller's age identities (`SOPS_AGE_KEY_FILE`). */
  readonly SOPS_AGE_KEY_FILE: string | undefined;
  /** sops's default identity file when neither is set: `<user config dir>/sops/age/keys.txt` (may not exist). */
  readonly sopsAgeDefaultFile: string;
};

/** Where the local control plane's binaries may already be. */
export type ControlPlaneEnv = {
  readonly KUBEBUILDER_ASSETS: string | undefined;
  readonly PULLBRIDGE_CACHE_DIR: string | undefined;
};

export type LocalEnv = TerminalEnv &
  ControlPlaneEnv & {
    readonly webhookSecret: string | undefined;
  };

/** The CLI's environment (default `process.env`). */
export function readTerminalEnv(env: Env = process.env): TerminalEnv {
  const cache =
    optionalString(env, "PULLBRIDGE_CACHE_DIR") ??
    `${optionalString(env, "XDG_CACHE_HOME") ?? `${env.HOME ?? ""}/.cache`}/pullbridge`;
  return {
    NO_COLOR: env.NO_COLOR,
    FORCE_COLOR: env.FORCE_COLOR,
    KUBECONFIG: env.KUBECONFIG,
    PULLBRIDGE_RENDERER_PATH:
      optionalString(env, "PULLBRIDGE_RENDERER_PATH") ?? `${cache}/renderer/current/pullbridge-renderer`,
    githubToken: env.PULLBRIDGE_GITHUB_TOKEN,
    githubApiUrl: optionalString(env, "PULLBRIDGE_GITHUB_API_URL"),
    awsRegion: optionalString(env, "AWS_REGION") ?? optionalString(env, "AWS_DEFAULT_REGION"),
    SOPS_AGE_KEY: optionalString(env, "SOPS_AGE_KEY"),
    SOPS_AGE_KEY_FILE: optionalString(env, "SOPS_AGE_KEY_FILE"),
    sopsAgeDefaultFile: `${env.XDG_CONFIG_HOME ?? `${env.HOME ?? ""}/.config`}/sops/age/keys.txt`,
  };
}

/** Local mode's environment (default `process.env`); the token and secret are taken byte for byte. */
export function readLocalEnv(env: Env = process.env): LocalEnv {
  return {
    ...readTerminalEnv(env),
    KUBEBUILDER_ASSETS: env.KUBEBUILDER_ASSETS,
    PULLBRIDGE_CACHE_DIR: env.PULLBRIDGE_CACHE_DIR,
    webhookSecret: env.PULLBRIDGE_WEBHOOK_SECRET,
  };
}

/**
 * Local mode has no CloudWatch: EMF lines on stdout would only bury the statuses. Powertools
 * reads this switch from the environment itself, so it is set there, unless the user set it.
 */
export function disableMetricsOutputUnlessSet(env: Record<string, string | undefined> = process.env): void {
  env.POWERTOOLS_METRICS_DISABLED ??= "true";
}
