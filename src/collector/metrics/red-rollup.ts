/**
 * RED rollups: spans counted into time buckets per service, operation, span
 * kind and status class, with a duration histogram and example traces (the
 * slowest span, a failing span) per cell. Pure: `accumulateSpans` turns a
 * batch into cells; the store merges them into what is already kept.
 */
import type { StoredSpan } from '../model/stored-span.js'
import { DurationHistogram } from './duration-histogram.js'

/** The resolutions kept: 10 s for recent detail and alerting, 1 min for longer ranges. */
export const RESOLUTIONS_MS: readonly number[] = [10_000, 60_000]

export interface RedKey {
  service: string
  operation: string
  spanKind: string
  /** `2xx`…`5xx` from the HTTP status code when the span has one, else `ok` / `error` from the span status. */
  statusClass: string
}

export interface RedCell extends RedKey {
  resolutionMs: number
  bucketStartMs: number
  requests: number
  errors: number
  histogram: DurationHistogram
  /** The slowest span's trace in this cell ('' when none). */
  slowestTraceId: string
  slowestMs: number
  /** The slowest failing span's trace in this cell ('' when none failed). */
  errorTraceId: string
  errorMs: number
}

export function newCell(key: RedKey, resolutionMs: number, bucketStartMs: number): RedCell {
  // Fields spelled out, not spread from the key: every cell then has one shape from the start.
  return {
    service: key.service,
    operation: key.operation,
    spanKind: key.spanKind,
    statusClass: key.statusClass,
    resolutionMs,
    bucketStartMs,
    requests: 0,
    errors: 0,
    histogram: new DurationHistogram(),
    slowestTraceId: '',
    slowestMs: -1,
    errorTraceId: '',
    errorMs: -1,
  }
}

function httpStatusOf(span: StoredSpan): number {
  const v = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code']
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isInteger(n) && n >= 100 && n < 600 ? n : 0
}

export function statusClassOf(span: StoredSpan): string {
  const status = httpStatusOf(span)
  if (status !== 0) return `${Math.floor(status / 100)}xx`
  return span.status.code === 'ERROR' ? 'error' : 'ok'
}

export function isErrorSpan(span: StoredSpan): boolean {
  return span.status.code === 'ERROR'
}

/** Records one observation into a cell. */
export function addToCell(cell: RedCell, traceId: string, durationMs: number, error: boolean): void {
  cell.requests++
  cell.histogram.observe(durationMs)
  if (durationMs > cell.slowestMs) {
    cell.slowestMs = durationMs
    cell.slowestTraceId = traceId
  }
  if (error) {
    cell.errors++
    if (durationMs > cell.errorMs) {
      cell.errorMs = durationMs
      cell.errorTraceId = traceId
    }
  }
}

/** Merges `from` into `into` (same key and bucket). */
export function mergeCell(into: RedCell, from: RedCell): void {
  into.requests += from.requests
  into.errors += from.errors
  into.histogram.merge(from.histogram)
  if (from.slowestMs > into.slowestMs) {
    into.slowestMs = from.slowestMs
    into.slowestTraceId = from.slowestTraceId
  }
  if (from.errorMs > into.errorMs) {
    into.errorMs = from.errorMs
    into.errorTraceId = from.errorTraceId
  }
}

export function cellId(c: RedKey & { resolutionMs: number; bucketStartMs: number }): string {
  return `${c.resolutionMs}\u0000${c.bucketStartMs}\u0000${c.service}\u0000${c.operation}\u0000${c.spanKind}\u0000${c.statusClass}`
}

/**
 * Adds a batch to `cells` (keyed by cellId), at every resolution. A span is
 * counted in the bucket of its end time (when the request completed, as a
 * Prometheus counter would). Cells already in the map are reused, so a map
 * kept across batches allocates only for new keys.
 */
export function accumulateSpansInto(cells: Map<string, RedCell>, spans: readonly StoredSpan[], resolutions: readonly number[] = RESOLUTIONS_MS): void {
  for (const span of spans) {
    const statusClass = statusClassOf(span)
    const keyPart = `${span.service}\u0000${span.name}\u0000${span.kind}\u0000${statusClass}`
    const error = isErrorSpan(span)
    for (const resolutionMs of resolutions) {
      const bucketStartMs = Math.floor(span.endTimeUnixMs / resolutionMs) * resolutionMs
      const id = `${resolutionMs}\u0000${bucketStartMs}\u0000${keyPart}`
      let cell = cells.get(id)
      if (cell === undefined) {
        cell = newCell({ service: span.service, operation: span.name, spanKind: span.kind, statusClass }, resolutionMs, bucketStartMs)
        cells.set(id, cell)
      }
      addToCell(cell, span.traceId, span.durationMs, error)
    }
  }
}

/** Cells for one batch, at every resolution (see accumulateSpansInto). */
export function accumulateSpans(spans: readonly StoredSpan[], resolutions: readonly number[] = RESOLUTIONS_MS): RedCell[] {
  const cells = new Map<string, RedCell>()
  accumulateSpansInto(cells, spans, resolutions)
  return [...cells.values()]
}
