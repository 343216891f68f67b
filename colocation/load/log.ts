/**
 * The logger shape colocation's parts write to. A pino Logger satisfies it; tests pass
 * `silentLogger` or a capturing one. Structured first argument, message second, as pino.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
