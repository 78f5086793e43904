/**
 * Prometheus counters for the exporter.
 *
 * Per-item facts (received, exported, dropped, queued) live as plain numbers
 * in ExportStats, because `export()` runs on the request path and a bare `++`
 * is all it may afford; prom-client reads them at scrape time via `collect`.
 * Per-batch facts (sent, attempts, retries, worker failures) are counted
 * directly: they happen off the request path, a few times a second.
 */
import { Counter, Gauge } from 'prom-client'
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExportSignal } from './export-task.js'

export const DROP_REASONS = ['queue_full', 'export_failed', 'rejected', 'shutdown'] as const
export type DropReason = (typeof DROP_REASONS)[number]

/** The running totals of one signal's exporter; also the source of the shutdown report. */
export interface ExportStats {
  received: number
  exported: number
  dropped: Record<DropReason, number>
}

export function newExportStats(): ExportStats {
  return { received: 0, exported: 0, dropped: { queue_full: 0, export_failed: 0, rejected: 0, shutdown: 0 } }
}

export function totalDropped(stats: ExportStats): number {
  let sum = 0
  for (const reason of DROP_REASONS) sum += stats.dropped[reason]
  return sum
}

export interface BatchCounters {
  batchesSent: Counter<'signal'>
  attempts: Counter<'signal'>
  retries: Counter<'signal'>
  workerFailures: Counter<'signal'>
}

/** Item names per signal, as they appear in metric names. */
const ITEM_NOUN: Record<ExportSignal, string> = { traces: 'spans', logs: 'log_records' }

/**
 * Registers the metrics of one signal's exporter in `registry`.
 * `queued` reports items waiting in the queue (including full batches waiting
 * for a send slot) at scrape time.
 */
export function registerExporterMetrics(
  registry: Registry<RegistryContentType>,
  signal: ExportSignal,
  stats: ExportStats,
  queued: () => number,
): BatchCounters {
  const noun = ITEM_NOUN[signal]
  totalCounter(registry, `tracecar_exporter_${noun}_received_total`, `Finished ${noun} handed to the exporter.`, () => stats.received)
  totalCounter(registry, `tracecar_exporter_${noun}_exported_total`, `${capitalize(noun)} the collector accepted.`, () => stats.exported)
  new Counter({
    name: `tracecar_exporter_${noun}_dropped_total`,
    help: `${capitalize(noun)} that never reached the collector, by reason: queue_full (queue at maxQueueSize), export_failed (retries exhausted), rejected (collector refused them, including partial success), shutdown (still unsent at the shutdown deadline).`,
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const reason of DROP_REASONS) this.inc({ reason }, stats.dropped[reason])
    },
  })
  new Gauge({
    name: `tracecar_exporter_${noun}_queue_size`,
    help: `${capitalize(noun)} waiting to be sent (not yet handed to a worker).`,
    registers: [registry],
    collect() {
      this.set(queued())
    },
  })
  return {
    batchesSent: sharedCounter(registry, 'tracecar_exporter_batches_sent_total', 'Batches handed to an export worker.'),
    attempts: sharedCounter(registry, 'tracecar_exporter_export_attempts_total', 'HTTP export requests made, retries included.'),
    retries: sharedCounter(registry, 'tracecar_exporter_export_retries_total', 'HTTP export requests that were retries of an earlier attempt.'),
    workerFailures: sharedCounter(
      registry,
      'tracecar_exporter_worker_failures_total',
      'Batches whose export worker died or failed unexpectedly (the worker is replaced and the batch retried once).',
    ),
  }
}

/** A counter read from a running total when scraped: the request path only adds to the total. */
function totalCounter(registry: Registry<RegistryContentType>, name: string, help: string, total: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(total())
    },
  })
}

/** Batch counters carry a `signal` label and are shared by every signal's exporter in a registry. */
function sharedCounter(registry: Registry<RegistryContentType>, name: string, help: string): Counter<'signal'> {
  const existing = registry.getSingleMetric(name)
  if (existing instanceof Counter) return existing as Counter<'signal'>
  return new Counter({ name, help, labelNames: ['signal'], registers: [registry] })
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
