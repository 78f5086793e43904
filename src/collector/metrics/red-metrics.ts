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
 * Rollups are derived data; a crash loses at most that interval of them.
 */
import type { CollectorRoute } from '../http/route.js'
import type { StoredSpan } from '../model/stored-span.js'
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
  log: (line: string) => void
}

export const DEFAULT_ROLLUP_RETENTION_MS: Record<number, number> = { 10_000: 24 * 3600_000, 60_000: 14 * 24 * 3600_000 }

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

  constructor(private readonly options: RedMetricsOptions) {
    this.store = options.store
    this.retentionMs = { ...DEFAULT_ROLLUP_RETENTION_MS }
    for (const [k, v] of Object.entries(options.retentionMs ?? {})) if (v !== undefined) this.retentionMs[Number(k)] = v
    this.longestRetentionMs = Math.max(...Object.values(this.retentionMs))
    this.routes = metricsRoutes(this.store, this.exporter, () => this.flush())
  }

  onSpans(spans: StoredSpan[]): void {
    const nowMs = Date.now()
    const oldest = nowMs - this.longestRetentionMs
    for (const span of spans) {
      const statusClass = statusClassOf(span)
      const error = isErrorSpan(span)
      this.exporter.observeSpan(span, statusClass, error, nowMs)
      // Rollups older than every retention would only be deleted again.
      if (!(span.endTimeUnixMs < oldest)) this.pending.add(span, statusClass, error)
    }
  }

  /** Writes the merged batches to the store now (called on a timer and before every read). */
  async flush(): Promise<void> {
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
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 1000)
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
