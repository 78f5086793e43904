/**
 * The RED metrics part as the collector sees it: an ingest listener that
 * merges each stored batch into the rollups and the Prometheus metrics, a
 * retention timer, and the HTTP routes (/api/metrics/*, /metrics).
 */
import type Database from 'better-sqlite3'
import type { CollectorRoute } from '../http/route.js'
import type { StoredSpan } from '../model/stored-span.js'
import type { IngestListener } from '../receivers/ingest-pipeline.js'
import { accumulateSpans, RESOLUTIONS_MS } from './red-rollup.js'
import { RedRollupStore } from './red-rollup-store.js'
import { metricsRoutes } from './metrics-routes.js'
import { SpanMetricsExporter } from './span-metrics-exporter.js'

export interface RedMetricsOptions {
  db: Database.Database
  /** How long each resolution's rollups are kept, by resolution in ms. */
  retentionMs?: Partial<Record<number, number>>
  /** How often old rollups are deleted. */
  retentionIntervalMs?: number
  log: (line: string) => void
}

export const DEFAULT_ROLLUP_RETENTION_MS: Record<number, number> = { 10_000: 24 * 3600_000, 60_000: 14 * 24 * 3600_000 }

export class RedMetrics implements IngestListener {
  readonly store: RedRollupStore
  readonly exporter = new SpanMetricsExporter()
  readonly routes: CollectorRoute[]
  private readonly retentionMs: Record<number, number>
  private timer: NodeJS.Timeout | undefined
  private failureLogged = false

  constructor(private readonly options: RedMetricsOptions) {
    this.store = new RedRollupStore(options.db)
    this.retentionMs = { ...DEFAULT_ROLLUP_RETENTION_MS }
    for (const [k, v] of Object.entries(options.retentionMs ?? {})) if (v !== undefined) this.retentionMs[Number(k)] = v
    this.routes = metricsRoutes(this.store, this.exporter)
  }

  onSpans(spans: StoredSpan[]): void {
    this.exporter.observe(spans)
    const oldest = Date.now() - Math.max(...Object.values(this.retentionMs))
    const cells = accumulateSpans(spans.filter((s) => s.endTimeUnixMs >= oldest))
    try {
      this.store.merge(cells)
    } catch (err) {
      // The spans are stored already; losing a rollup update must not fail ingest.
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
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
