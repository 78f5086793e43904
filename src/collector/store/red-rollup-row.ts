/**
 * A RED rollup cell as a table row, the same columns in every store (the
 * histogram's sparse counts as bytes; a store may carry them as text).
 */
import type { RedCell, RedCellUpdate, RedKey } from '../metrics/red-rollup.js'
import { newCell } from '../metrics/red-rollup.js'

export interface RedRollupRow {
  resolution_ms: number
  bucket_start_ms: number
  service: string
  operation: string
  span_kind: string
  status_class: string
  requests: number
  errors: number
  duration_sum_ms: number
  duration_min_ms: number
  duration_max_ms: number
  histogram: Uint8Array
  slowest_trace_id: string
  slowest_ms: number
  error_trace_id: string
  error_ms: number
}

export function cellFromRow(row: RedRollupRow): RedCell {
  const key: RedKey = { service: row.service, operation: row.operation, spanKind: row.span_kind, statusClass: row.status_class }
  const cell = newCell(key, row.resolution_ms, row.bucket_start_ms)
  cell.requests = row.requests
  cell.errors = row.errors
  const h = cell.histogram
  h.addEncodedCounts(row.histogram)
  h.count = row.requests
  h.sumMs = row.duration_sum_ms
  h.minMs = row.requests > 0 ? row.duration_min_ms : Infinity
  h.maxMs = row.requests > 0 ? row.duration_max_ms : -Infinity
  cell.slowestTraceId = row.slowest_trace_id
  cell.slowestMs = row.slowest_ms
  cell.errorTraceId = row.error_trace_id
  cell.errorMs = row.error_ms
  return cell
}

export function rowOfCell(cell: RedCellUpdate): RedRollupRow {
  const h = cell.histogram
  return {
    resolution_ms: cell.resolutionMs,
    bucket_start_ms: cell.bucketStartMs,
    service: cell.service,
    operation: cell.operation,
    span_kind: cell.spanKind,
    status_class: cell.statusClass,
    requests: cell.requests,
    errors: cell.errors,
    duration_sum_ms: h.sumMs,
    duration_min_ms: Number.isFinite(h.minMs) ? h.minMs : 0,
    duration_max_ms: Number.isFinite(h.maxMs) ? h.maxMs : 0,
    histogram: h.encodeCounts(),
    slowest_trace_id: cell.slowestTraceId,
    slowest_ms: cell.slowestMs,
    error_trace_id: cell.errorTraceId,
    error_ms: cell.errorMs,
  }
}
