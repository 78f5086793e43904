/**
 * The RED metrics part as the collector sees it: an ingest listener that
 * merges each stored batch into the rollups and the Prometheus metrics, a
 * retention timer, and the HTTP routes (/api/metrics/*, /metrics).
 *
 * Batches are merged in memory and written to SQLite at most once per
 * `flushIntervalMs` (and before every read): with the store's
 * synchronous=FULL each write transaction is an fsync, and one per ingested
 * request on top of the spans' own would double the collector's fsyncs.
 * Rollups are derived data; a crash loses at most that interval of them.
 */
import type Database from 'better-sqlite3'
import type { CollectorRoute } from '../http/route.js'
import type { StoredSpan } from '../model/stored-span.js'
import type { IngestListener } from '../receivers/ingest-pipeline.js'
import type { RedCell } from './red-rollup.js'
import { accumulateSpansInto, RESOLUTIONS_MS } from './red-rollup.js'
import { RedRollupStore } from './red-rollup-store.js'
import { metricsRoutes } from './metrics-routes.js'
import { SpanMetricsExporter } from './span-metrics-exporter.js'

export interface RedMetricsOptions {
  db: Database.Database
  /** How long each resolution's rollups are kept, by resolution in ms. */
  retentionMs?: Partial<Record<number, number>>
  /** How often old rollups are deleted. */
  retentionIntervalMs?: number
  /** How often merged batches are written to SQLite (default 1 s). */
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
  private pending = new Map<string, RedCell>()

  constructor(private readonly options: RedMetricsOptions) {
    this.store = new RedRollupStore(options.db)
    this.retentionMs = { ...DEFAULT_ROLLUP_RETENTION_MS }
    for (const [k, v] of Object.entries(options.retentionMs ?? {})) if (v !== undefined) this.retentionMs[Number(k)] = v
    this.routes = metricsRoutes(this.store, this.exporter, () => this.flush())
  }

  onSpans(spans: StoredSpan[]): void {
    this.exporter.observe(spans)
    const oldest = Date.now() - Math.max(...Object.values(this.retentionMs))
    accumulateSpansInto(this.pending, spans.some((s) => s.endTimeUnixMs < oldest) ? spans.filter((s) => s.endTimeUnixMs >= oldest) : spans)
  }

  /** Writes the merged batches to SQLite now (called on a timer and before every read). */
  flush(): void {
    if (this.pending.size === 0) return
    const cells = [...this.pending.values()]
    this.pending = new Map()
    try {
      this.store.merge(cells)
    } catch (err) {
      // The spans are stored already; losing a rollup update must not fail ingest or a query.
      if (!this.failureLogged) {
        this.failureLogged = true
        this.options.log(`RED rollup update failed (logged once): ${(err as Error).message}`)
      }
    }
  }

  /** Deletes rollups past their retention now; returns rows deleted. */
  applyRetention(nowMs = Date.now()): number {
    let deleted = 0
    for (const resolutionMs of RESOLUTIONS_MS) deleted += this.store.deleteOlderThan(resolutionMs, nowMs - (this.retentionMs[resolutionMs] ?? Infinity))
    return deleted
  }

  start(): void {
    const every = this.options.retentionIntervalMs ?? 60_000
    this.timer = setInterval(() => {
      try {
        this.applyRetention()
      } catch (err) {
        this.options.log(`RED rollup retention failed: ${(err as Error).message}`)
      }
    }, every)
    this.timer.unref()
    this.flushTimer = setInterval(() => this.flush(), this.options.flushIntervalMs ?? 1000)
    this.flushTimer.unref()
  }

  /** Stops the timers and writes what is pending (the database is still open). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer)
    this.timer = undefined
    this.flushTimer = undefined
    this.flush()
  }
}
