/** The Powertools Logger as the service's structured JSON logger (one per function, module scope). */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Log, LogAttributes } from "../log.ts";

/** Creates the function's logger; level from POWERTOOLS_LOG_LEVEL (Powertools reads it). */
export function createServiceLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** Adapts a Powertools Logger to the Log port. */
export function logFromPowertools(logger: Logger): Log {
  const attrs = (attributes: LogAttributes | undefined) => (attributes ? [{ ...attributes }] : []);
  return {
    debug: (message, attributes) => logger.debug(message, ...attrs(attributes)),
    info: (message, attributes) => logger.info(message, ...attrs(attributes)),
    warn: (message, attributes) => logger.warn(message, ...attrs(attributes)),
    error: (message, attributes) => logger.error(message, ...attrs(attributes)),
  };
}
