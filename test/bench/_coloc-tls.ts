// Counts the TLS connections a bench child process opens, to show connection churn in the
// figures (a client that keeps its connections alive opens a few and reuses them; one that lets
// them go pays a handshake, and a new secure context, per request burst).
//
// Node's https.Agent opens connections through the CommonJS `tls` module's `connect`, looked up
// at call time, so wrapping that property sees every one. Diagnostics only: the wrapper calls the
// original unchanged.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function countTlsConnects(): { readonly count: number } {
  const tls = require('node:tls') as typeof import('node:tls');
  const counter = { count: 0 };
  const original = tls.connect;
  tls.connect = ((...args: Parameters<typeof original>) => {
    counter.count++;
    return original(...args);
  }) as typeof original;
  return counter;
}
