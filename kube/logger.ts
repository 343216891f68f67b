/**
 * The one logger shape every component writes to: pino's structured call, fields first and
 * the message second, at four levels. A pino Logger is one; tests pass `silentLogger` or one
 * that captures. Components take a whole Logger even when they write at one level today, so
 * a caller never has to know which levels a part happens to use.
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
