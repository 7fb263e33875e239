import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from a pool refilled 8 KiB at a time: a call into the system's
 * generator per bid (salt and IV) was a visible share of a bid's CPU. Each
 * slice is handed out once, and a refill allocates a new buffer, so a slice
 * already handed out never changes.
 */
const POOL = 8192;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomSlice(n: number): Buffer {
  if (n > POOL) return randomFillSync(Buffer.allocUnsafe(n));
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL));
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + n);
  offset += n;
  return slice;
}
