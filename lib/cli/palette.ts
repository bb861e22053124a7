/**
 * Terminal colours for CLI and local-mode output. Colour is decided once, by the composition
 * root (stdout is a TTY and `NO_COLOR` is unset); everything else asks the palette, so JSON output
 * and piped text never carry escape codes.
 */
import { styleText } from "node:util";

export type Palette = {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
};

/**
 * Node's own ANSI codes. `validateStream: false` because whether to colour is decided once, from
 * the injected env and TTY flag (`shouldUseColour`): styleText's own check reads `process.env`
 * and `process.stdout`, lets `FORCE_COLOR` override `NO_COLOR` and treats an empty `NO_COLOR` as
 * set, which is not the no-color.org rule this CLI documents.
 */
const style = (format: "red" | "green" | "yellow" | "cyan" | "bold" | "dim") => (text: string) =>
  styleText(format, text, { validateStream: false });

const COLOURED: Palette = {
  enabled: true,
  red: style("red"),
  green: style("green"),
  yellow: style("yellow"),
  cyan: style("cyan"),
  bold: style("bold"),
  dim: style("dim"),
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
  env: { readonly NO_COLOR?: string | undefined; readonly FORCE_COLOR?: string | undefined };
}): boolean {
  const { env } = options;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return options.isTty;
}
