/**
 * Retention in the background: every `intervalMs`, delete spans and logs
 * older than `maxAgeMs`, then the oldest ones while the data exceeds
 * `maxBytes`. Deletes go in small batches with a yield to the event loop
 * between them, so an OTLP request waits at most one small batch, never the
 * whole clean-up. Only for a store that does not expire data by itself
 * (SQLite; ClickHouse tables have a TTL).
 */
import type { RetentionStore } from '../store/store-roles.js'

export interface RetentionOptions {
  /** Keep data at most this long (by span start / log time); undefined keeps forever. */
  maxAgeMs?: number
  /** Keep the stored data under this many bytes; undefined means no limit. */
  maxBytes?: number
  /** How often retention runs (default 60 s). */
  intervalMs?: number
  /** Records deleted per step (default 2000). */
  batchSize?: number
}

const MAX_STEPS_PER_RUN = 10_000

export class RetentionWorker {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined
  private stopped = false
  totalDeleted = 0

  constructor(
    /** undefined: the store expires data itself, and the worker never runs. */
    private readonly store: RetentionStore | undefined,
    private readonly options: RetentionOptions,
    private readonly log: (line: string) => void,
  ) {}

  get enabled(): boolean {
    return this.store !== undefined && (this.options.maxAgeMs !== undefined || this.options.maxBytes !== undefined)
  }

  start(): void {
    if (!this.enabled) return
    const schedule = (): void => {
      this.timer = setTimeout(() => {
        this.runOnce()
          .catch((err: unknown) => this.log(`retention failed: ${(err as Error).message}`))
          .finally(() => {
            if (!this.stopped) schedule()
          })
      }, this.options.intervalMs ?? 60_000)
      this.timer.unref()
    }
    schedule()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
  }

  /** One pass; resolves with the records deleted. Concurrent calls share the pass. */
  runOnce(nowUnixMs?: number): Promise<number> {
    this.running ??= this.pass(nowUnixMs ?? Date.now()).finally(() => (this.running = undefined))
    return this.running
  }

  private async pass(nowUnixMs: number): Promise<number> {
    const store = this.store
    if (store === undefined) return 0
    const batch = this.options.batchSize ?? 2000
    let deleted = 0
    let steps = 0
    if (this.options.maxAgeMs !== undefined) {
      const cutoff = nowUnixMs - this.options.maxAgeMs
      for (;;) {
        if (this.stopped || steps++ > MAX_STEPS_PER_RUN) break
        const step = (await store.deleteOlderThan(cutoff, batch)).deleted
        deleted += step
        if (step === 0) break
        await yieldToEventLoop()
      }
    }
    if (this.options.maxBytes !== undefined) {
      let shrank = false
      while (!this.stopped && steps++ < MAX_STEPS_PER_RUN && (await store.usedBytes()) > this.options.maxBytes) {
        const step = (await store.deleteOldest(batch)).deleted
        deleted += step
        shrank = true
        if (step === 0) break
        await yieldToEventLoop()
      }
      // Hand the freed pages back to the file system, a slice at a time.
      if (shrank) {
        for (let i = 0; i < 100 && !this.stopped; i++) {
          await store.reclaimSpace(2048)
          await yieldToEventLoop()
        }
      }
    }
    if (deleted > 0) {
      await store.pruneServices()
      this.totalDeleted += deleted
      this.log(`retention removed ${deleted} spans and log records`)
    }
    return deleted
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
