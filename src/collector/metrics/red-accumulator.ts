/**
 * The RED rollup cells of the spans ingested since the last flush.
 *
 * Found without building a string per span: spans are grouped by shape
 * (service, operation, span kind, status class), and a shape holds its
 * pending cells per resolution in a map keyed by bucket number. Shapes are
 * kept across flushes while their spans keep coming, so a steady stream only
 * allocates for buckets it has not touched since the last flush. A cell's
 * counts are sparse (SparseDurationHistogram): with spans scattered over the
 * hour most cells hold a handful of spans when they are flushed.
 */
import type { MeasuredSpan } from './measured-span.js'
import { bucketIndex, SparseDurationHistogram } from './duration-histogram.js'
import type { RedCell, RedCellUpdate } from './red-rollup.js'
import { isErrorSpan, newCell, RESOLUTIONS_MS, statusClassOf } from './red-rollup.js'

export interface PendingRedCell extends RedCellUpdate {
  histogram: SparseDurationHistogram
}

interface RedShape {
  readonly service: string
  readonly operation: string
  readonly spanKind: string
  readonly statusClass: string
  /** Per resolution (in the accumulator's order): bucket number (bucket start / resolution) → cell. */
  readonly cells: Map<number, PendingRedCell>[]
  /** Whether a span came since the last `take`. */
  active: boolean
}

export class RedAccumulator {
  /** service → operation → the shapes seen with that name (a few: kinds × status classes). */
  private readonly byService = new Map<string, Map<string, RedShape[]>>()
  private pending: PendingRedCell[] = []

  constructor(private readonly resolutions: readonly number[] = RESOLUTIONS_MS) {}

  /** Cells waiting for `take`. */
  get size(): number {
    return this.pending.length
  }

  /** Counts one span, at every resolution, in the bucket of its end time. */
  add(span: MeasuredSpan, statusClass: string, error: boolean): void {
    const shape = this.shapeOf(span, statusClass)
    shape.active = true
    const durationMs = span.durationMs
    const clampedMs = durationMs > 0 ? durationMs : 0
    const bucket = bucketIndex(clampedMs)
    for (let r = 0; r < this.resolutions.length; r++) {
      const resolutionMs = this.resolutions[r]!
      const bucketNo = Math.floor(span.endTimeUnixMs / resolutionMs)
      const cells = shape.cells[r]!
      let cell = cells.get(bucketNo)
      if (cell === undefined) {
        cell = newCell(shape, resolutionMs, bucketNo * resolutionMs, new SparseDurationHistogram())
        cells.set(bucketNo, cell)
        this.pending.push(cell)
      }
      // mergeCell's rules (red-rollup.ts) for one span; its histogram bucket is found once for every resolution.
      cell.requests++
      cell.histogram.observeInBucket(bucket, clampedMs)
      if (durationMs > cell.slowestMs) {
        cell.slowestMs = durationMs
        cell.slowestTraceId = span.traceId
      }
      if (error) {
        cell.errors++
        if (durationMs > cell.errorMs) {
          cell.errorMs = durationMs
          cell.errorTraceId = span.traceId
        }
      }
    }
  }

  /** The pending cells, in the order they were first touched; the accumulator starts empty again. */
  take(): PendingRedCell[] {
    const cells = this.pending
    this.pending = []
    for (const [service, byOperation] of this.byService) {
      for (const [operation, shapes] of byOperation) {
        // A shape without spans since the last take is forgotten, so runaway names hold memory only while they keep coming.
        const kept = shapes.filter((s) => s.active)
        for (const shape of kept) {
          shape.active = false
          for (const m of shape.cells) m.clear()
        }
        if (kept.length === 0) byOperation.delete(operation)
        else if (kept.length !== shapes.length) byOperation.set(operation, kept)
      }
      if (byOperation.size === 0) this.byService.delete(service)
    }
    return cells
  }

  private shapeOf(span: MeasuredSpan, statusClass: string): RedShape {
    let byOperation = this.byService.get(span.service)
    if (byOperation === undefined) this.byService.set(span.service, (byOperation = new Map<string, RedShape[]>()))
    let shapes = byOperation.get(span.name)
    if (shapes === undefined) byOperation.set(span.name, (shapes = []))
    for (const shape of shapes) if (shape.spanKind === span.kind && shape.statusClass === statusClass) return shape
    const shape: RedShape = {
      service: span.service,
      operation: span.name,
      spanKind: span.kind,
      statusClass,
      cells: this.resolutions.map(() => new Map<number, PendingRedCell>()),
      active: false,
    }
    shapes.push(shape)
    return shape
  }
}

/** A pending cell as a RedCell (dense histogram), as a store would read it back. */
export function toRedCell(pending: PendingRedCell): RedCell {
  const cell = newCell(pending, pending.resolutionMs, pending.bucketStartMs)
  cell.requests = pending.requests
  cell.errors = pending.errors
  cell.histogram = pending.histogram.toDense()
  cell.slowestTraceId = pending.slowestTraceId
  cell.slowestMs = pending.slowestMs
  cell.errorTraceId = pending.errorTraceId
  cell.errorMs = pending.errorMs
  return cell
}

/** Cells for one batch, at every resolution (a span in the bucket of its end time). */
export function accumulateSpans(spans: readonly MeasuredSpan[], resolutions: readonly number[] = RESOLUTIONS_MS): RedCell[] {
  const accumulator = new RedAccumulator(resolutions)
  for (const span of spans) accumulator.add(span, statusClassOf(span), isErrorSpan(span))
  return accumulator.take().map(toRedCell)
}
