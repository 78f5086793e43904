/**
 * The main-thread half of exporting: a bounded queue cut into batches, with
 * OpenTelemetry's BatchSpanProcessor semantics (maxQueueSize,
 * maxExportBatchSize, scheduledDelayMs), and a cap on batches in flight.
 *
 * `push` is on the request path: a length check, an array push, a counter.
 * Nothing is encoded or copied here. Items stay in the queue until a send slot
 * is free, so a full batch waiting for a slot still counts against
 * maxQueueSize: memory is bounded by (maxQueueSize + maxConcurrentExports *
 * maxExportBatchSize) items however long the collector is away.
 *
 * Generic over the item type so OTLP logs can reuse it as is.
 */
import type { BatchOutcome } from './export-task.js'
import type { BatchCounters, ExporterSignal, ExportStats } from './exporter-metrics.js'

export interface BatchQueueOptions {
  signal: ExporterSignal
  maxQueueSize: number
  maxExportBatchSize: number
  scheduledDelayMs: number
  maxConcurrentExports: number
}

/** Sends a batch; resolves with its outcome, rejects only if the worker broke. */
export type SendBatch<T> = (items: T[]) => Promise<BatchOutcome>

interface InFlightBatch {
  size: number
  /** Set at the shutdown deadline: a late outcome is then ignored (already counted). */
  abandoned: boolean
}

export class BatchQueue<T> {
  private queue: T[] = []
  private readonly inFlight = new Set<InFlightBatch>()
  private timer: NodeJS.Timeout | undefined
  private pumpScheduled = false
  private flushing = false
  private closed = false
  private onIdle: (() => void) | undefined
  /** The last problem a batch met, for the shutdown summary. */
  lastError = ''

  private readonly maxQueueSize: number
  private readonly maxExportBatchSize: number

  constructor(
    private readonly options: BatchQueueOptions,
    private readonly send: SendBatch<T>,
    private readonly stats: ExportStats,
    private readonly counters: BatchCounters,
  ) {
    this.maxQueueSize = options.maxQueueSize
    // As in OpenTelemetry JS: a batch larger than the queue could never fill.
    this.maxExportBatchSize = Math.min(options.maxExportBatchSize, options.maxQueueSize)
  }

  /** Items waiting to be handed to a worker. */
  get queued(): number {
    return this.queue.length
  }

  push(item: T): void {
    const stats = this.stats
    stats.received++
    if (this.closed) {
      stats.dropped.shutdown++
      return
    }
    const queue = this.queue
    if (queue.length >= this.maxQueueSize) {
      stats.dropped.queue_full++
      return
    }
    queue.push(item)
    if (queue.length >= this.maxExportBatchSize) {
      // Hand the batch over after the current request's callbacks, not inside them.
      if (!this.pumpScheduled && this.inFlight.size < this.options.maxConcurrentExports) {
        this.pumpScheduled = true
        setImmediate(this.pumpFull)
      }
    } else if (this.timer === undefined) {
      this.startTimer()
    }
  }

  /**
   * Stops accepting items, sends everything queued, and resolves when all of
   * it is settled or at `deadlineUnixMs`, whichever is first. Whatever is
   * still queued or in flight then is counted as dropped ('shutdown').
   */
  async close(deadlineUnixMs: number): Promise<void> {
    this.closed = true
    this.flushing = true
    this.clearTimer()
    this.pump(true)
    if (!this.isIdle()) {
      let deadlineTimer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.onIdle = resolve
        deadlineTimer = setTimeout(resolve, Math.max(0, deadlineUnixMs - Date.now()))
      })
      clearTimeout(deadlineTimer)
      this.onIdle = undefined
    }
    this.stats.dropped.shutdown += this.queue.length
    this.queue = []
    for (const batch of this.inFlight) {
      batch.abandoned = true
      this.stats.dropped.shutdown += batch.size
    }
    this.inFlight.clear()
  }

  private readonly pumpFull = (): void => {
    this.pumpScheduled = false
    this.pump(false)
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.pump(true)
  }

  private startTimer(): void {
    this.timer = setTimeout(this.onTimer, this.options.scheduledDelayMs)
    // The exporter must never be what keeps a finished process alive.
    this.timer.unref()
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Hands batches to workers while send slots are free: full ones, or any when `partial`. */
  private pump(partial: boolean): void {
    const { maxConcurrentExports } = this.options
    const sendPartial = partial || this.flushing
    while (this.inFlight.size < maxConcurrentExports && this.queue.length > 0) {
      if (!sendPartial && this.queue.length < this.maxExportBatchSize) break
      this.dispatch(this.takeBatch())
    }
    if (this.queue.length > 0 && this.timer === undefined && !this.flushing) this.startTimer()
  }

  private takeBatch(): T[] {
    const queue = this.queue
    if (queue.length <= this.maxExportBatchSize) {
      this.queue = []
      return queue
    }
    return queue.splice(0, this.maxExportBatchSize)
  }

  private dispatch(items: T[]): void {
    const batch: InFlightBatch = { size: items.length, abandoned: false }
    this.inFlight.add(batch)
    this.counters.batchesSent.inc({ signal: this.options.signal })
    this.sendGuarded(items, batch, false)
  }

  private sendGuarded(items: T[], batch: InFlightBatch, isRetryAfterFailure: boolean): void {
    let sending: Promise<BatchOutcome>
    try {
      sending = this.send(items)
    } catch (err) {
      sending = Promise.reject(err)
    }
    sending.then(
      (outcome) => this.settle(batch, outcome),
      (err: unknown) => {
        if (batch.abandoned) return
        this.counters.workerFailures.inc({ signal: this.options.signal })
        this.lastError = `export worker failed: ${err instanceof Error ? err.message : String(err)}`
        // The worker died with the batch (piscina replaces the worker). The
        // collector may or may not have it: send once more rather than lose
        // it; a second failure suggests the batch itself kills workers.
        if (!isRetryAfterFailure) {
          this.sendGuarded(items, batch, true)
          return
        }
        this.settle(batch, { delivered: 0, rejected: 0, failed: batch.size, stoppedByShutdown: false, attempts: 0, error: this.lastError })
      },
    )
  }

  private settle(batch: InFlightBatch, outcome: BatchOutcome): void {
    if (batch.abandoned) return
    this.inFlight.delete(batch)
    const { stats, counters } = this
    const signal = this.options.signal
    stats.exported += outcome.delivered
    stats.dropped.rejected += outcome.rejected
    if (outcome.stoppedByShutdown) stats.dropped.shutdown += outcome.failed
    else stats.dropped.export_failed += outcome.failed
    if (outcome.attempts > 0) counters.attempts.inc({ signal }, outcome.attempts)
    if (outcome.attempts > 1) counters.retries.inc({ signal }, outcome.attempts - 1)
    if (outcome.error !== '') this.lastError = outcome.error
    this.pump(false)
    if (this.onIdle !== undefined && this.isIdle()) this.onIdle()
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight.size === 0
  }
}
