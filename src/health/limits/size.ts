/** Byte counts as people write them in limits: 64M, 1.5G, 512K (binary units, as CF and Kubernetes' Mi). */
const UNITS: Array<[string, number]> = [
  ['T', 1024 ** 4],
  ['G', 1024 ** 3],
  ['M', 1024 ** 2],
  ['K', 1024],
];

/** 67108864 -> "64M"; 100663296 -> "96M"; 1610612736 -> "1.5G"; below 1K: "512B". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of UNITS) {
    if (bytes >= size) {
      const n = bytes / size;
      return `${Number.isInteger(n) ? n : n >= 100 ? Math.round(n) : Number(n.toFixed(1))}${unit}`;
    }
  }
  return `${Math.max(0, Math.round(bytes))}B`;
}

/** "64M", "512K", "1G", "1.5G", "1048576" (bytes): bytes, or null when it is not such a size. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i.exec(text);
  if (!m) return null;
  const unit = m[2].toUpperCase();
  const size = unit === '' ? 1 : UNITS.find(([u]) => u === unit)![1];
  const n = Math.round(Number(m[1]) * size);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
