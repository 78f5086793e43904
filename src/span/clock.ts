import { performance } from 'node:perf_hooks'

/**
 * Wall-clock milliseconds since the Unix epoch with sub-millisecond resolution.
 *
 * Anchored once to `performance.timeOrigin` and advanced by the monotonic clock,
 * so that durations inside a span never go backwards when NTP steps the wall clock.
 */
const origin = performance.timeOrigin

export function nowUnixMs(): number {
  return origin + performance.now()
}
