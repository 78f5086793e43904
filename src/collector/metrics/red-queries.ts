/**
 * Reads the RED rollups for the API and the alert evaluator: a table of
 * services and operations with sparklines, a time series for one service or
 * operation, and a summary of a window (with example traces). Quantiles are
 * interpolated from the merged histograms (duration-histogram.ts).
 */
import { DurationHistogram } from './duration-histogram.js'
import type { RedCell } from './red-rollup.js'
import { RESOLUTIONS_MS } from './red-rollup.js'
import type { RedRollupStore, RollupFilter } from '../store/store-roles.js'
import type { ExampleTrace, MetricsPoint, ServiceMetricsRow } from '../../query-api/query-api-types.js'

export type { ExampleTrace } from '../../query-api/query-api-types.js'

/** The 10 s rollups answer ranges up to this long; longer ranges read the 1 min rollups. */
const FINE_RANGE_LIMIT_MS = 3 * 3600_000

export async function chooseResolution(store: RedRollupStore, startMs: number, endMs: number): Promise<number> {
  const fine = RESOLUTIONS_MS[0]!
  const coarse = RESOLUTIONS_MS[RESOLUTIONS_MS.length - 1]!
  if (endMs - startMs > FINE_RANGE_LIMIT_MS) return coarse
  // Older than what the 10 s rollups still keep: only the coarse ones cover it.
  const oldestFine = await store.oldestBucketMs(fine)
  if (oldestFine === undefined || startMs >= oldestFine - fine) return fine
  const oldestCoarse = await store.oldestBucketMs(coarse)
  if (oldestCoarse !== undefined && oldestCoarse < oldestFine) return coarse
  return fine
}

function roundMs(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : 0
}

function quantileOrNull(h: DurationHistogram, q: number): number | null {
  return h.count === 0 ? null : roundMs(h.quantile(q))
}

/** One row per service/operation/span kind seen in [startMs, endMs), busiest first. */
export async function servicesTable(store: RedRollupStore, startMs: number, endMs: number, sparkPoints = 30): Promise<ServiceMetricsRow[]> {
  const resolutionMs = await chooseResolution(store, startMs, endMs)
  const from = Math.floor(startMs / resolutionMs) * resolutionMs
  const sparkStepMs = Math.max(resolutionMs, Math.ceil((endMs - from) / sparkPoints / resolutionMs) * resolutionMs)
  const slots = Math.max(1, Math.ceil((endMs - from) / sparkStepMs))
  const groups = new Map<string, { row: ServiceMetricsRow; requests: number; errors: number; h: DurationHistogram }>()
  for (const cell of await store.cells(resolutionMs, from, endMs)) {
    const id = `${cell.service}\u0000${cell.operation}\u0000${cell.spanKind}`
    let g = groups.get(id)
    if (g === undefined) {
      g = {
        row: {
          service: cell.service,
          operation: cell.operation,
          spanKind: cell.spanKind,
          requests: 0,
          ratePerSec: 0,
          errorRate: 0,
          p50Ms: null,
          p95Ms: null,
          p99Ms: null,
          spark: new Array<number>(slots).fill(0),
        },
        requests: 0,
        errors: 0,
        h: new DurationHistogram(),
      }
      groups.set(id, g)
    }
    g.requests += cell.requests
    g.errors += cell.errors
    g.h.merge(cell.histogram)
    const slot = Math.min(slots - 1, Math.floor((cell.bucketStartMs - from) / sparkStepMs))
    g.row.spark[slot]! += cell.requests
  }
  const seconds = Math.max(1, (endMs - startMs) / 1000)
  const rows: ServiceMetricsRow[] = []
  for (const { row, requests, errors, h } of groups.values()) {
    row.requests = requests
    row.ratePerSec = roundMs(requests / seconds)
    row.errorRate = requests === 0 ? 0 : errors / requests
    row.p50Ms = quantileOrNull(h, 0.5)
    row.p95Ms = quantileOrNull(h, 0.95)
    row.p99Ms = quantileOrNull(h, 0.99)
    rows.push(row)
  }
  rows.sort((a, b) => b.requests - a.requests || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation))
  return rows
}

/** Entry points of a service: with no operation named, a service's own traffic is its SERVER/CONSUMER spans. */
const ENTRY_KINDS = new Set(['SERVER', 'CONSUMER'])

export async function cellsFor(store: RedRollupStore, resolutionMs: number, filter: RollupFilter, startMs: number, endMs: number): Promise<RedCell[]> {
  const cells = await store.cells(resolutionMs, startMs, endMs, filter)
  if (filter.operation !== undefined || filter.spanKind !== undefined) return cells
  const entry = cells.filter((c) => ENTRY_KINDS.has(c.spanKind))
  return entry.length > 0 ? entry : cells
}

/**
 * Buckets of `stepMs` from startMs to endMs, but none that starts after `nowMs`: a bucket in the
 * future has not counted anything yet, and drawing it as zero says traffic stopped. The bucket
 * holding now is marked unfinished and its rate is over the part that has passed.
 */
export async function series(
  store: RedRollupStore,
  filter: RollupFilter,
  startMs: number,
  endMs: number,
  maxPoints = 120,
  nowMs = Date.now(),
): Promise<{ stepMs: number; points: MetricsPoint[] }> {
  const resolutionMs = await chooseResolution(store, startMs, endMs)
  const from = Math.floor(startMs / resolutionMs) * resolutionMs
  const stepMs = Math.max(resolutionMs, Math.ceil((endMs - from) / maxPoints / resolutionMs) * resolutionMs)
  const lastMs = Math.min(endMs, nowMs)
  const slots = lastMs > from ? Math.max(1, Math.ceil((lastMs - from) / stepMs)) : 0
  const acc = Array.from({ length: slots }, () => ({ requests: 0, errors: 0, h: new DurationHistogram() }))
  for (const cell of slots ? await cellsFor(store, resolutionMs, filter, from, lastMs) : []) {
    const slot = acc[Math.min(slots - 1, Math.floor((cell.bucketStartMs - from) / stepMs))]!
    slot.requests += cell.requests
    slot.errors += cell.errors
    slot.h.merge(cell.histogram)
  }
  const points = acc.map((a, i) => {
    const t = from + i * stepMs
    const unfinished = t + stepMs > nowMs
    const seconds = unfinished ? Math.max(1, (nowMs - t) / 1000) : stepMs / 1000
    return {
      t,
      requests: a.requests,
      errors: a.errors,
      ratePerSec: roundMs(a.requests / seconds),
      errorRate: a.requests === 0 ? 0 : a.errors / a.requests,
      p50Ms: quantileOrNull(a.h, 0.5),
      p95Ms: quantileOrNull(a.h, 0.95),
      p99Ms: quantileOrNull(a.h, 0.99),
      unfinished,
    }
  })
  return { stepMs, points }
}

export interface WindowSummary {
  requests: number
  errors: number
  histogram: DurationHistogram
  /**
   * At most `examples` of each kind: with `lead: 'slowest'` the slowest traces, then failing ones
   * not already listed; with `lead: 'failing'` (error-rate alerts) the failing traces first, most
   * recent first, then the slowest not already listed.
   */
  exampleTraces: ExampleTrace[]
}

/** Totals over the buckets overlapping [startMs, endMs) at the finest resolution (alerting). */
export async function windowSummary(
  store: RedRollupStore,
  filter: RollupFilter,
  startMs: number,
  endMs: number,
  examples = 3,
  lead: 'slowest' | 'failing' = 'slowest',
): Promise<WindowSummary> {
  const resolutionMs = RESOLUTIONS_MS[0]!
  const from = Math.floor(startMs / resolutionMs) * resolutionMs
  const cells = await cellsFor(store, resolutionMs, filter, from, endMs)
  const h = new DurationHistogram()
  let requests = 0
  let errors = 0
  for (const c of cells) {
    requests += c.requests
    errors += c.errors
    h.merge(c.histogram)
  }
  const seen = new Set<string>()
  const exampleTraces: ExampleTrace[] = []
  const pick = (list: ExampleTrace[]): void => {
    let n = 0
    for (const ex of list) {
      if (n >= examples) break
      if (ex.traceId === '' || seen.has(ex.traceId)) continue
      seen.add(ex.traceId)
      exampleTraces.push(ex)
      n++
    }
  }
  const slowest = () =>
    cells
      .map((c) => ({ traceId: c.slowestTraceId, durationMs: roundMs(c.slowestMs), error: c.slowestTraceId === c.errorTraceId && c.errorTraceId !== '' }))
      .sort((a, b) => b.durationMs - a.durationMs)
  const failing = (order: 'slowest' | 'recent') =>
    cells
      .filter((c) => c.errorTraceId !== '')
      .sort((a, b) => (order === 'recent' ? b.bucketStartMs - a.bucketStartMs : 0) || b.errorMs - a.errorMs)
      .map((c) => ({ traceId: c.errorTraceId, durationMs: roundMs(c.errorMs), error: true }))
  if (lead === 'failing') {
    pick(failing('recent'))
    pick(slowest())
  } else {
    pick(slowest())
    pick(failing('slowest'))
  }
  return { requests, errors, histogram: h, exampleTraces }
}
