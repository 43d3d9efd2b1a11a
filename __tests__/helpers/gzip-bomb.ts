// Decompression bombs for the tests of bounded reading: gigabytes of one byte in a few megabytes of
// gzip, built from one small compression without holding the inflated bytes.
import { appendFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

export const GIB = 2 ** 30;

/**
 * Writes to `path` a gzip of `head`, then of `total` bytes of `byte` at `level`: copies of one gzip
 * member of 16 MiB (gzip -d and Node read them as one stream). gzip -1 to -3 inflates 229 times,
 * -4 to -9 1,028 times.
 */
export function gzipBomb(path: string, byte: number, total: number, level: number, head = ""): string {
  const memberBytes = 16 * 2 ** 20;
  const member = gzipSync(Buffer.alloc(memberBytes, byte), { level });
  writeFileSync(path, head === "" ? "" : gzipSync(head));
  for (let i = 0; i < Math.ceil(total / memberBytes); i++) appendFileSync(path, member);
  return path;
}
