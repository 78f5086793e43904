import { randomFillSync } from 'node:crypto'
import type { SpanId, TraceId } from '../span/span-record.js'

/**
 * Random trace and span ids for every request, cheaply: one `randomFillSync` call
 * fills a pool that serves hundreds of ids, instead of a `randomBytes` call (and a
 * Buffer) per id. The pool is per thread (module state), and ids are taken from it
 * synchronously, so no two callers ever get the same bytes.
 */
const POOL_BYTES = 8192
const pool = Buffer.allocUnsafeSlow(POOL_BYTES)
// Start "used up" so the first id fills the pool.
let poolOffset = POOL_BYTES

function takeRandomBytes(count: number): number {
  if (poolOffset + count > POOL_BYTES) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const at = poolOffset
  poolOffset += count
  return at
}

function isAllZero(at: number, count: number): boolean {
  for (let i = at; i < at + count; i++) if (pool[i] !== 0) return false
  return true
}

function newRandomHex(bytes: number): string {
  // An all-zero id is invalid in W3C Trace Context; with 64+ random bits this loop
  // repeats about never, but it must not hand one out.
  for (;;) {
    const at = takeRandomBytes(bytes)
    if (!isAllZero(at, bytes)) return pool.toString('hex', at, at + bytes)
  }
}

/** A new random 128-bit trace id: 32 lowercase hex characters, never all zeros. */
export function newTraceId(): TraceId {
  return newRandomHex(16)
}

/** A new random 64-bit span id: 16 lowercase hex characters, never all zeros. */
export function newSpanId(): SpanId {
  return newRandomHex(8)
}
