// Flag parsing helpers: every bad value is an error that names the flag.
import { InvalidArgumentError } from 'commander';
import { isDNS1123Label } from '../kube/index.js';

/**
 * Whole numbers from `min` to `max`. A negative number where none is allowed is told as what the
 * flag takes ("a positive integer", "a non-negative integer"), since that is the mistake to fix;
 * a number out of range gives the range.
 */
export function intFlag(flag: string, min: number, max: number): (v: string) => number {
  const kind = min > 0 ? 'positive integer' : 'non-negative integer';
  return (v) => {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) throw new InvalidArgumentError(`${flag} must be an integer, got "${v}"`);
    const n = Number(t);
    if (n < 0 && min >= 0) throw new InvalidArgumentError(`${flag} must be a ${kind} (${min} to ${max}), got ${t}`);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return Object.is(n, -0) ? 0 : n;
  };
}

export function fractionFlag(flag: string, max = 1): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new InvalidArgumentError(`${flag} must be a fraction between 0 and ${max}, got "${v}"`);
    return n;
  };
}

export function listFlag(flag: string, pattern: RegExp, what: string): (v: string) => string[] {
  return (v) => {
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new InvalidArgumentError(`${flag} needs at least one ${what}`);
    for (const i of items) if (!pattern.test(i)) throw new InvalidArgumentError(`${flag}: "${i}" is not a valid ${what}`);
    return items;
  };
}

/** `key=value,key2=value2` label lists. */
export function labelsFlag(flag: string): (v: string) => Record<string, string> {
  return (v) => {
    const out: Record<string, string> = {};
    for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InvalidArgumentError(`${flag}: "${part}" is not key=value`);
      out[part.slice(0, eq)] = part.slice(eq + 1);
    }
    return out;
  };
}

/** `[host:]port` listen addresses (host defaults to loopback; port 0 picks a free port). */
export function listenFlag(flag: string): (v: string) => { host: string; port: number } {
  return (v) => {
    const m = /^(?:(.+):)?(\d+)$/.exec(v);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port >= 0 && port <= 65535)) throw new InvalidArgumentError(`${flag} must be [host:]port, got "${v}"`);
    return { host: m[1] ?? '127.0.0.1', port };
  };
}

/** A DNS-1123 label (a Kubernetes object or cluster name), checked by kube's name rules. */
export function dnsLabelFlag(flag: string): (v: string) => string {
  return (v) => {
    if (isDNS1123Label(v).length > 0) throw new InvalidArgumentError(`${flag} must be a DNS-1123 label (lowercase letters, digits and '-', at most 63), got "${v}"`);
    return v;
  };
}
