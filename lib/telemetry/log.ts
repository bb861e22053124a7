/**
 * The structured-log port. Use cases log through it; the Powertools Logger satisfies it, tests
 * pass a recording fake. Attribute values must never be secrets, tokens or Secret data.
 */

export type LogAttributes = Readonly<Record<string, unknown>>;

export interface Log {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/** The one no-op logger: drops everything (local mode gives it to Powertools Metrics, whose warnings mean nothing without CloudWatch). */
export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
