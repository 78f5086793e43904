/**
 * The RED metrics part as the collector sees it: an ingest listener that
 * merges each stored batch into the rollups and the Prometheus metrics, a
 * retention timer, and the HTTP routes (/api/metrics/*, /metrics).
 *
 * Batches are merged in memory and written to the store at most once per
 * `flushIntervalMs` (and before every read): with SQLite's
 * synchronous=FULL each write transaction is an fsync, and one per ingested
 * request on top of the spans' own would double the collector's fsyncs (with
 * ClickHouse, an insert per request would make many small parts).
 *
 * A flush costs one upsert (or row) per pending cell, however many spans the
 * cell holds. When spans arrive scattered in time (a backfill, sidecars
 * flushing late) nearly every span makes a cell of its own, so while more
 * than `deferAboveCells` cells are pending the flush waits, up to
 * `maxFlushIntervalMs`, for later spans to add into the same cells; past
 * `maxPendingCells` it flushes at once, which bounds the memory held.
 * Rollups are derived data; a crash loses at most `flushIntervalMs` of them,
 * or `maxFlushIntervalMs` while that many cells are pending.
 */
import type { CollectorRoute } from '../http/route.js'
import type { MeasuredSpan } from './measured-span.js'
import type { IngestListener } from '../receivers/ingest-pipeline.js'
import { RedAccumulator } from './red-accumulator.js'
import { isErrorSpan, RESOLUTIONS_MS, statusClassOf } from './red-rollup.js'
import type { RedRollupStore } from '../store/store-roles.js'
import { metricsRoutes } from './metrics-routes.js'
import { SpanMetricsExporter } from './span-metrics-exporter.js'

export interface RedMetricsOptions {
  /** Where the rollups are kept (the storage's RED rollup role). */
  store: RedRollupStore
  /** How long each resolution's rollups are kept, by resolution in ms. */
  retentionMs?: Partial<Record<number, number>>
  /** How often old rollups are deleted. */
  retentionIntervalMs?: number
  /** How often merged batches are written to the store (default 1 s). */
  flushIntervalMs?: number
  /** Above this many pending cells a flush may wait (default 1,000). */
  deferAboveCells?: number
  /** The longest a flush waits while many cells are pending (default 10 s). */
  maxFlushIntervalMs?: number
  /** Pending cells that make a flush happen at once (default 100,000, some 30 MB). */
  maxPendingCells?: number
  log: (line: string) => void
}

export const DEFAULT_ROLLUP_RETENTION_MS: Record<number, number> = { 10_000: 24 * 3600_000, 60_000: 14 * 24 * 3600_000 }
const DEFAULT_FLUSH_INTERVAL_MS = 1000
const DEFAULT_DEFER_ABOVE_CELLS = 1000
const DEFAULT_MAX_FLUSH_INTERVAL_MS = 10_000
const DEFAULT_MAX_PENDING_CELLS = 100_000

export class RedMetrics implements IngestListener {
  readonly store: RedRollupStore
  readonly exporter = new SpanMetricsExporter()
  readonly routes: CollectorRoute[]
  private readonly retentionMs: Record<number, number>
  private timer: NodeJS.Timeout | undefined
  private flushTimer: NodeJS.Timeout | undefined
  private failureLogged = false
  private readonly pending = new RedAccumulator()
  private readonly longestRetentionMs: number
  private readonly maxPendingCells: number
  private readonly flushIntervalMs: number
  private lastFlushMs = Date.now()

  constructor(private readonly options: RedMetricsOptions) {
    this.store = options.store
    this.retentionMs = { ...DEFAULT_ROLLUP_RETENTION_MS }
    for (const [k, v] of Object.entries(options.retentionMs ?? {})) if (v !== undefined) this.retentionMs[Number(k)] = v
    this.longestRetentionMs = Math.max(...Object.values(this.retentionMs))
    this.maxPendingCells = options.maxPendingCells ?? DEFAULT_MAX_PENDING_CELLS
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS
    this.routes = metricsRoutes(this.store, this.exporter, () => this.flush())
  }

  onMeasuredSpans(spans: readonly MeasuredSpan[]): void {
    const nowMs = Date.now()
    const oldest = nowMs - this.longestRetentionMs
    for (const span of spans) {
      const statusClass = statusClassOf(span)
      const error = isErrorSpan(span)
      this.exporter.observeSpan(span, statusClass, error, nowMs)
      // Rollups older than every retention would only be deleted again.
      if (!(span.endTimeUnixMs < oldest)) this.pending.add(span, statusClass, error)
    }
    if (this.pending.size >= this.maxPendingCells) void this.flush()
  }

  /** Cells held in memory until the next flush. */
  get pendingCells(): number {
    return this.pending.size
  }

  /** The timer's flush: at once while few cells are pending, else once they are `maxFlushIntervalMs` old. */
  private flushIfDue(): Promise<void> {
    const few = this.pending.size <= (this.options.deferAboveCells ?? DEFAULT_DEFER_ABOVE_CELLS)
    // Half a tick early rather than a tick late: the timer's ticks drift by a few ms.
    const dueAtMs = this.lastFlushMs + (this.options.maxFlushIntervalMs ?? DEFAULT_MAX_FLUSH_INTERVAL_MS) - this.flushIntervalMs / 2
    return few || Date.now() >= dueAtMs ? this.flush() : Promise.resolve()
  }

  /** Writes the merged batches to the store now (called on a timer and before every read). */
  async flush(): Promise<void> {
    this.lastFlushMs = Date.now()
    if (this.pending.size === 0) return
    const cells = this.pending.take()
    try {
      await this.store.merge(cells)
    } catch (err) {
      // The spans are stored already; losing a rollup update must not fail ingest or a query.
      if (!this.failureLogged) {
        this.failureLogged = true
        this.options.log(`RED rollup update failed (logged once): ${(err as Error).message}`)
      }
    }
  }

  /** Deletes rollups past their retention now; returns rows deleted. */
  async applyRetention(nowMs = Date.now()): Promise<number> {
    let deleted = 0
    for (const resolutionMs of RESOLUTIONS_MS) deleted += await this.store.deleteOlderThan(resolutionMs, nowMs - (this.retentionMs[resolutionMs] ?? Infinity))
    return deleted
  }

  start(): void {
    const every = this.options.retentionIntervalMs ?? 60_000
    this.timer = setInterval(() => {
      this.applyRetention().catch((err: unknown) => this.options.log(`RED rollup retention failed: ${(err as Error).message}`))
    }, every)
    this.timer.unref()
    this.flushTimer = setInterval(() => void this.flushIfDue(), this.flushIntervalMs)
    this.flushTimer.unref()
  }

  /** Stops the timers and writes what is pending (the store is still open). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer)
    this.timer = undefined
    this.flushTimer = undefined
    await this.flush()
  }
}
