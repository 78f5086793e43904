/**
 * The time buckets calls between services are counted into at ingest, and
 * how a query window is covered by them. Buckets come in three sizes (an
 * hour, a minute, a second), so any window is a few bucket ranges: whole
 * hours in the middle, whole minutes and seconds towards its ends, and at
 * most two pieces shorter than a second at its very edges, which are counted
 * from the spans themselves. The answer is exact to the nanosecond, as the
 * join over spans was, and an hour's window reads tens of rows, not spans.
 */

/** Bucket sizes in seconds, largest first. */
export const DEPENDENCY_BUCKET_SECONDS = [3600, 60, 1] as const

const NS_PER_S = 1_000_000_000n

/** Whole buckets of one size: bucket starts (Unix seconds) in [fromS, toS). */
export interface BucketRange {
  resolutionS: number
  fromS: number
  toS: number
}

/** Child span starts in [fromNs, toNs): counted from the spans. */
export interface SpanRange {
  fromNs: bigint
  toNs: bigint
}

export interface WindowCover {
  buckets: BucketRange[]
  spans: SpanRange[]
}

/** The bucket (start in Unix seconds) of a child span that started at `startNs`, at one resolution. */
export function bucketOf(startNs: bigint, resolutionS: number): number {
  const s = Number(startNs / NS_PER_S)
  return s - (s % resolutionS)
}

/** Covers child starts in [fromNs, toNs) with whole buckets, largest first, and span ranges for what is left. */
export function coverWindow(fromNs: bigint, toNs: bigint): WindowCover {
  const cover: WindowCover = { buckets: [], spans: [] }
  const walk = (lo: bigint, hi: bigint, level: number): void => {
    if (lo >= hi) return
    const size = DEPENDENCY_BUCKET_SECONDS[level]
    if (size === undefined) {
      cover.spans.push({ fromNs: lo, toNs: hi })
      return
    }
    const step = BigInt(size) * NS_PER_S
    const first = ((lo + step - 1n) / step) * step
    const last = (hi / step) * step
    if (first >= last) {
      walk(lo, hi, level + 1)
      return
    }
    cover.buckets.push({ resolutionS: size, fromS: Number(first / NS_PER_S), toS: Number(last / NS_PER_S) })
    walk(lo, first, level + 1)
    walk(last, hi, level + 1)
  }
  walk(fromNs < 0n ? 0n : fromNs, toNs, 0)
  return cover
}
