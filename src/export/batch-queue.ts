/**
 * The main-thread half of exporting: a bounded queue cut into batches, with
 * OpenTelemetry's BatchSpanProcessor semantics (maxQueueSize,
 * maxExportBatchSize, scheduledDelayMs), and a cap on batches in flight.
 *
 * `reserve`/`commit` are on the request path: a count check, then the caller
 * adds its item to the open batch (an array push, or spans encoded straight
 * into a protobuf buffer), then a counter. Sealed batches stay in the queue
 * until a send slot is free, so a full batch waiting for a slot still counts
 * against maxQueueSize: memory is bounded by (maxQueueSize +
 * maxConcurrentExports * maxExportBatchSize) items however long the collector
 * is away.
 *
 * Generic over the batch form (`BatchForm`): encoded protobuf for spans and
 * log records (otlp-proto-batch.ts), arrays of records for OTLP/JSON.
 */
import type { BatchOutcome, ExportSignal } from './export-task.js'
import type { BatchCounters, ExportStats } from './exporter-metrics.js'

export interface BatchQueueOptions {
  signal: ExportSignal
  maxQueueSize: number
  maxExportBatchSize: number
  scheduledDelayMs: number
  maxConcurrentExports: number
}

/** Sends a batch of `count` items; resolves with its outcome, rejects only if the worker broke. */
export type SendBatch<B> = (batch: B, count: number) => Promise<BatchOutcome>

/** How items gather: the batch being filled (`O`), and what it becomes when sealed for sending (`B`). */
export interface BatchForm<O, B> {
  open(): O
  seal(open: O, count: number): B
}

/** Items gathered in an array, sent as that array. */
export function arrayBatches<T>(): BatchForm<T[], T[]> {
  return { open: () => [], seal: (items) => items }
}

interface SealedBatch<B> {
  batch: B
  count: number
}

interface InFlightBatch {
  size: number
  /** Set at the shutdown deadline: a late outcome is then ignored (already counted). */
  abandoned: boolean
}

export class BatchQueue<O, B> {
  private readonly sealed: Array<SealedBatch<B>> = []
  private open: O
  private openCount = 0
  /** Items in sealed batches and the open one. */
  private queuedCount = 0
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
    private readonly form: BatchForm<O, B>,
    private readonly send: SendBatch<B>,
    private readonly stats: ExportStats,
    private readonly counters: BatchCounters,
  ) {
    this.maxQueueSize = options.maxQueueSize
    // As in OpenTelemetry JS: a batch larger than the queue could never fill.
    this.maxExportBatchSize = Math.min(options.maxExportBatchSize, options.maxQueueSize)
    this.open = form.open()
  }

  /** Items waiting to be handed to a worker. */
  get queued(): number {
    return this.queuedCount
  }

  /**
   * The open batch to add one item to, then call `commit`; undefined when the
   * item must be dropped (counted: queue full, or shut down).
   */
  reserve(): O | undefined {
    const stats = this.stats
    stats.received++
    if (this.closed) {
      stats.dropped.shutdown++
      return undefined
    }
    if (this.queuedCount >= this.maxQueueSize) {
      stats.dropped.queue_full++
      return undefined
    }
    return this.open
  }

  /** One item was added to the batch `reserve` returned. */
  commit(): void {
    this.queuedCount++
    if (++this.openCount >= this.maxExportBatchSize) {
      this.sealOpen()
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
    this.stats.dropped.shutdown += this.queuedCount
    this.sealed.length = 0
    this.open = this.form.open()
    this.openCount = 0
    this.queuedCount = 0
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
    while (this.inFlight.size < maxConcurrentExports) {
      if (this.sealed.length === 0) {
        if (!sendPartial || this.openCount === 0) break
        this.sealOpen()
      }
      this.dispatch(this.sealed.shift()!)
    }
    if (this.queuedCount > 0 && this.timer === undefined && !this.flushing) this.startTimer()
  }

  private sealOpen(): void {
    const count = this.openCount
    this.sealed.push({ batch: this.form.seal(this.open, count), count })
    this.open = this.form.open()
    this.openCount = 0
  }

  private dispatch(sealed: SealedBatch<B>): void {
    this.queuedCount -= sealed.count
    const batch: InFlightBatch = { size: sealed.count, abandoned: false }
    this.inFlight.add(batch)
    this.counters.batchesSent.inc({ signal: this.options.signal })
    this.sendGuarded(sealed.batch, batch, false)
  }

  private sendGuarded(items: B, batch: InFlightBatch, isRetryAfterFailure: boolean): void {
    let sending: Promise<BatchOutcome>
    try {
      sending = this.send(items, batch.size)
    } catch (err) {
      // Whatever send threw goes on as is: the rejection handler below names non-Errors too.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
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
    return this.queuedCount === 0 && this.inFlight.size === 0
  }
}
