/**
 * Terminal colours for CLI and local-mode output. Colour is decided once, by the composition
 * root (stdout is a TTY and `NO_COLOR` is unset); everything else asks the palette, so JSON output
 * and piped text never carry escape codes.
 */

export type Palette = {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
};

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURED: Palette = {
  enabled: true,
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  bold: wrap(1, 22),
  dim: wrap(2, 22),
};

const identity = (text: string) => text;

const PLAIN: Palette = {
  enabled: false,
  red: identity,
  green: identity,
  yellow: identity,
  cyan: identity,
  bold: identity,
  dim: identity,
};

/** The palette for `enabled`. */
export function createPalette(enabled: boolean): Palette {
  return enabled ? COLOURED : PLAIN;
}

/**
 * https://no-color.org: any non-empty `NO_COLOR` disables colour; `FORCE_COLOR` (non-zero)
 * enables it even when piped (CI logs that render ANSI); otherwise only on a TTY.
 */
export function shouldUseColour(options: {
  isTty: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): boolean {
  const { env } = options;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return options.isTty;
}

/** Removes ANSI colour codes (for width computations). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC.
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
