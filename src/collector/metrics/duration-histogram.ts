/**
 * A fixed-bucket duration histogram, the unit the RED rollups store and merge.
 *
 * Bucket bounds grow by 2^(1/4) (≈19 %) from 0.1 ms to ~5 min, so any
 * quantile interpolated from the buckets is within one bucket (< 19 %
 * relative) of the exact value, whatever the traffic, with ≤ 88 counters.
 * Every histogram shares the same bounds, so merging is adding counts —
 * across operations, time buckets and resolutions alike.
 */

const FACTOR = 2 ** 0.25
const FIRST_BOUND_MS = 0.1
const LAST_BOUND_MS = 300_000

function makeBounds(): Float64Array {
  const bounds: number[] = []
  for (let b = FIRST_BOUND_MS; b < LAST_BOUND_MS * FACTOR; b *= FACTOR) bounds.push(Number(b.toPrecision(6)))
  return Float64Array.from(bounds)
}

/** Upper bounds (inclusive) of the finite buckets, in ms; one more bucket (+Inf) follows. */
export const BUCKET_BOUNDS_MS: Float64Array = makeBounds()
export const BUCKET_COUNT = BUCKET_BOUNDS_MS.length + 1

/** Index of the bucket holding `ms` (the first bound ≥ ms; the last for +Inf). */
export function bucketIndex(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0
  // Logarithmic guess, then correct for rounding of the bounds.
  let i = Math.max(0, Math.min(BUCKET_BOUNDS_MS.length, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(FACTOR)) - 1))
  while (i > 0 && BUCKET_BOUNDS_MS[i - 1]! >= ms) i--
  while (i < BUCKET_BOUNDS_MS.length && BUCKET_BOUNDS_MS[i]! < ms) i++
  return i
}

/** What storing a histogram takes: its totals and its counts as `encodeCounts` bytes. */
export interface StorableHistogram {
  readonly count: number
  readonly sumMs: number
  readonly minMs: number
  readonly maxMs: number
  encodeCounts(): Buffer
}

export class DurationHistogram implements StorableHistogram {
  // A plain array, not a Float64Array: a typed array this long gets a backing store
  // outside V8's heap (a malloc and a sweep each), and rollups make a histogram per
  // new cell; with spans scattered over the hour that is two per span.
  readonly counts: number[] = new Array<number>(BUCKET_COUNT).fill(0)
  count = 0
  sumMs = 0
  minMs = Infinity
  maxMs = -Infinity

  observe(ms: number): void {
    const v = ms > 0 ? ms : 0
    this.counts[bucketIndex(v)]! += 1
    this.count++
    this.sumMs += v
    if (v < this.minMs) this.minMs = v
    if (v > this.maxMs) this.maxMs = v
  }

  merge(other: DurationHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!
    this.count += other.count
    this.sumMs += other.sumMs
    if (other.minMs < this.minMs) this.minMs = other.minMs
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs
  }

  /**
   * The q-quantile (0..1) interpolated linearly inside the bucket where the
   * rank q·count falls (Prometheus' histogram_quantile rule), clamped to the
   * observed min/max. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.min(1, Math.max(0, q)) * this.count
    let cumulative = 0
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const c = this.counts[i]!
      if (c === 0) continue
      if (cumulative + c >= rank) {
        const lower = i === 0 ? 0 : BUCKET_BOUNDS_MS[i - 1]!
        const upper = i < BUCKET_BOUNDS_MS.length ? BUCKET_BOUNDS_MS[i]! : this.maxMs
        const estimate = lower + (upper - lower) * ((rank - cumulative) / c)
        return Math.min(this.maxMs, Math.max(this.minMs, estimate))
      }
      cumulative += c
    }
    return this.maxMs
  }

  /** Sparse bytes for storage: little-endian uint32 pairs (bucket index, count). */
  encodeCounts(): Buffer {
    let nonZero = 0
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i] !== 0) nonZero++
    const buf = Buffer.allocUnsafe(nonZero * 8)
    let at = 0
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const c = this.counts[i]!
      if (c === 0) continue
      buf.writeUInt32LE(i, at)
      buf.writeUInt32LE(c, at + 4)
      at += 8
    }
    return buf
  }

  /** Adds counts encoded by `encodeCounts`, or lists of them appended (count/sum/min/max are the caller's to set). */
  addEncodedCounts(buf: Uint8Array): void {
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    for (let at = 0; at + 8 <= view.length; at += 8) {
      const i = view.readUInt32LE(at)
      if (i < BUCKET_COUNT) this.counts[i]! += view.readUInt32LE(at + 4)
    }
  }
}

/**
 * The same histogram kept sparse, for the ingest path: a rollup cell waiting
 * for its flush mostly holds a few spans in a few buckets, and with spans
 * scattered over the hour there is a new cell for nearly every span; 88
 * counters each (allocated, filled, then scanned twice to encode) were most
 * of what a cell cost. Bucket indexes are kept ascending, as `encodeCounts`
 * writes them.
 */
export class SparseDurationHistogram implements StorableHistogram {
  private readonly buckets: number[] = []
  private readonly bucketCounts: number[] = []
  count = 0
  sumMs = 0
  minMs = Infinity
  maxMs = -Infinity

  /** Counts `ms` (already clamped to ≥ 0 by the caller) into `bucket`, its `bucketIndex`. */
  observeInBucket(bucket: number, ms: number): void {
    const buckets = this.buckets
    let i = buckets.length
    while (i > 0 && buckets[i - 1]! > bucket) i--
    if (i > 0 && buckets[i - 1] === bucket) this.bucketCounts[i - 1]! += 1
    else {
      buckets.splice(i, 0, bucket)
      this.bucketCounts.splice(i, 0, 1)
    }
    this.count++
    this.sumMs += ms
    if (ms < this.minMs) this.minMs = ms
    if (ms > this.maxMs) this.maxMs = ms
  }

  encodeCounts(): Buffer {
    const n = this.buckets.length
    const buf = Buffer.allocUnsafe(n * 8)
    for (let i = 0; i < n; i++) {
      buf.writeUInt32LE(this.buckets[i]!, i * 8)
      buf.writeUInt32LE(this.bucketCounts[i]!, i * 8 + 4)
    }
    return buf
  }

  /** The same counts as a DurationHistogram (for reading, merging and quantiles). */
  toDense(): DurationHistogram {
    const h = new DurationHistogram()
    for (let i = 0; i < this.buckets.length; i++) h.counts[this.buckets[i]!] = this.bucketCounts[i]!
    h.count = this.count
    h.sumMs = this.sumMs
    h.minMs = this.minMs
    h.maxMs = this.maxMs
    return h
  }
}

/**
 * The sum of two lists of counts in `encodeCounts`' form, each bucket once
 * and in bucket order, without decoding either into a histogram (a store
 * compacts stored rows with this). The lists may hold a bucket more than
 * once and in any order, as a store that appends them does (sqlite-red-rollups.ts);
 * a bucket index this build does not know is dropped, as `addEncodedCounts` drops it.
 */
export function addEncodedCounts(a: Uint8Array, b: Uint8Array): Buffer {
  const sums = new Array<number>(BUCKET_COUNT).fill(0)
  for (const list of [a, b]) {
    const view = Buffer.from(list.buffer, list.byteOffset, list.byteLength)
    for (let at = 0; at + 8 <= view.length; at += 8) {
      const i = view.readUInt32LE(at)
      if (i < BUCKET_COUNT) sums[i]! += view.readUInt32LE(at + 4)
    }
  }
  let nonZero = 0
  for (let i = 0; i < BUCKET_COUNT; i++) if (sums[i] !== 0) nonZero++
  const out = Buffer.allocUnsafe(nonZero * 8)
  let at = 0
  for (let i = 0; i < BUCKET_COUNT; i++) {
    if (sums[i] === 0) continue
    out.writeUInt32LE(i, at)
    out.writeUInt32LE(sums[i]!, at + 4)
    at += 8
  }
  return out
}
