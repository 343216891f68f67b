// The one polling helper for tests: wait for a condition that something else makes true, bounded in time.

/**
 * Polls `fn` every `everyMs` until it returns a value other than undefined/false, and resolves
 * to that value. An error thrown by `fn` counts as "not yet" (the system may still be starting);
 * the last one is quoted when `timeoutMs` runs out and the wait fails naming `what`.
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
