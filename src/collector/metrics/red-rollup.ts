/**
 * RED rollups: spans counted into time buckets per service, operation, span
 * kind and status class, with a duration histogram and example traces (the
 * slowest span, a failing span) per cell. The ingest path counts spans into
 * cells (red-accumulator.ts); the store merges them into what is already kept.
 */
import { HTTP_STATUS_KEYS } from './measured-span.js'
import type { MeasuredSpan } from './measured-span.js'
import { DurationHistogram } from './duration-histogram.js'
import type { StorableHistogram } from './duration-histogram.js'

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

/** A cell as the stores merge it: a RedCell, or one counted by the ingest path with sparse counts. */
export interface RedCellUpdate extends Omit<RedCell, 'histogram'> {
  histogram: StorableHistogram
}

/** An empty cell; the ingest path gives it a sparse histogram (red-accumulator.ts), readers a dense one. */
export function newCell(key: RedKey, resolutionMs: number, bucketStartMs: number): RedCell
export function newCell<H extends StorableHistogram>(key: RedKey, resolutionMs: number, bucketStartMs: number, histogram: H): RedCellUpdate & { histogram: H }
export function newCell(key: RedKey, resolutionMs: number, bucketStartMs: number, histogram: StorableHistogram = new DurationHistogram()): RedCellUpdate {
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
    histogram,
    slowestTraceId: '',
    slowestMs: -1,
    errorTraceId: '',
    errorMs: -1,
  }
}

function httpStatusOf(span: MeasuredSpan): number {
  const v = span.attributes[HTTP_STATUS_KEYS[0]] ?? span.attributes[HTTP_STATUS_KEYS[1]]
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isInteger(n) && n >= 100 && n < 600 ? n : 0
}

/** The classes by the status code's first digit, made once rather than per span. */
const HTTP_STATUS_CLASSES: readonly string[] = ['', '1xx', '2xx', '3xx', '4xx', '5xx']

export function statusClassOf(span: MeasuredSpan): string {
  const status = httpStatusOf(span)
  if (status !== 0) return HTTP_STATUS_CLASSES[Math.floor(status / 100)]!
  return span.status.code === 'ERROR' ? 'error' : 'ok'
}

export function isErrorSpan(span: MeasuredSpan): boolean {
  return span.status.code === 'ERROR'
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
