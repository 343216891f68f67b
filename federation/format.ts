/** Human figures for reasons, tables and the page: "3.5 CPU", "12.5Gi". */
const GI = 1024 ** 3;
const MI = 1024 ** 2;

export function cpuText(milli: number): string {
  // Millicores divide exactly into at most 3 decimals: "3.5", "0.25".
  return String(milli / 1000);
}

export function memText(bytes: number): string {
  if (bytes >= GI) return `${trim(bytes / GI)}Gi`;
  if (bytes >= MI) return `${trim(bytes / MI)}Mi`;
  return `${bytes}`;
}

function trim(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

export function resourceText(name: string, amount: number): string {
  if (name === 'cpu') return `${cpuText(amount)} CPU`;
  if (name === 'memory') return `${memText(amount)} memory`;
  return `${amount} ${name}`;
}
