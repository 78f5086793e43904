/**
 * Group writes for the ClickHouse store: the batches that arrive while a
 * write is in flight (and those of one turn of the event loop) go to
 * ClickHouse together, as one lookup, one INSERT and one INSERT of the
 * calls for the whole group instead of those requests per batch.
 *
 * Why: each request through the client costs the collector more CPU than
 * the rows in it (HTTP, the request and response streams, parsing the
 * answer), and senders keep several requests in flight, so while one
 * group is written the next batches queue up; the group grows with the
 * load and one request carries them all.
 *
 * What each batch keeps:
 * - acknowledged only after ClickHouse acknowledged its rows: every promise
 *   settles after the group's write finished;
 * - a failure reaches every batch of the group when ClickHouse could not be
 *   reached (each sender gets its 503 and retries); when ClickHouse answered
 *   with an error, each batch is written again on its own, so a batch that
 *   ClickHouse refuses fails alone;
 * - a lone batch waits no longer than one turn of the event loop, unless a
 *   group was written less than `lingerMs` ago (below).
 *
 * Under load, a group waits until `lingerMs` after the previous group's
 * write ended (or until it is full): the senders whose batches that write
 * acknowledged send their next ones meanwhile, and they join this group
 * instead of the one after. Without the wait, a group started at once held
 * only what queued during the previous write, and with N senders taking
 * turns the groups stayed at about N / 2 batches. Fewer, bigger inserts are
 * also what ClickHouse's MergeTree asks for (each insert is a part to merge).
 * A collector that has been idle for `lingerMs` writes a batch at once.
 */
import { StoreUnreachableError, unreachableOr } from '../store-unreachable.js'

/** A batch's result, or what its part of the group threw. */
export type GroupOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown }

interface Queued<T, R> {
  batch: T
  records: number
  resolve: (value: R) => void
  reject: (err: unknown) => void
}

export class WriteGroups<T, R> {
  private queue: Queued<T, R>[] = []
  private queuedRecords = 0
  private busy = false
  /** performance.now() when the last group's write ended. */
  private lastEndMs = -Infinity
  /** The pending start of the next group while it waits for more batches. */
  private lingering: NodeJS.Timeout | undefined

  /**
   * @param writeGroup writes the batches in one go; resolves with an outcome
   * per batch (in order), or rejects when nothing of the group was stored.
   * @param maxRecordsPerGroup a group stops growing at this many records (a
   * bigger batch still goes alone), so one request's size stays bounded.
   * @param lingerMs how long after a group's write the next one waits for
   * more batches (0: it starts at once).
   */
  constructor(
    private readonly writeGroup: (batches: readonly T[]) => Promise<GroupOutcome<R>[]>,
    private readonly maxRecordsPerGroup: number,
    private readonly lingerMs = 0,
  ) {}

  /** Writes `batch` in the next group; resolves once ClickHouse acknowledged it. */
  submit(batch: T, records: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ batch, records, resolve, reject })
      this.queuedRecords += records
      // A full group does not wait for more.
      if (this.lingering !== undefined && this.queuedRecords >= this.maxRecordsPerGroup) this.stopLingering()
      this.next()
    })
  }

  private next(): void {
    if (this.busy || this.queue.length === 0) return
    this.busy = true
    const waitMs = this.lastEndMs + this.lingerMs - performance.now()
    if (waitMs > 0 && this.queuedRecords < this.maxRecordsPerGroup) {
      this.lingering = setTimeout(() => this.stopLingering(), waitMs)
      return
    }
    // setImmediate runs after the I/O callbacks of this turn: the requests that arrived together are queued by then.
    setImmediate(() => this.start())
  }

  /** Starts the group that was waiting for more batches. */
  private stopLingering(): void {
    clearTimeout(this.lingering)
    this.lingering = undefined
    this.start()
  }

  private start(): void {
    void this.writeNextGroup().finally(() => {
      this.lastEndMs = performance.now()
      this.busy = false
      this.next()
    })
  }

  private async writeNextGroup(): Promise<void> {
    let take = 0
    let records = 0
    while (take < this.queue.length && (take === 0 || records + this.queue[take]!.records <= this.maxRecordsPerGroup)) {
      records += this.queue[take]!.records
      take++
    }
    const group = this.queue.splice(0, take)
    this.queuedRecords -= records
    try {
      settle(group, await this.writeGroup(group.map((q) => q.batch)))
    } catch (err) {
      if (group.length === 1 || unreachableOr(err, 'ClickHouse') instanceof StoreUnreachableError) {
        for (const item of group) item.reject(err)
        return
      }
      for (const item of group) {
        try {
          settle([item], await this.writeGroup([item.batch]))
        } catch (alone) {
          item.reject(alone)
        }
      }
    }
  }
}

function settle<T, R>(group: readonly Queued<T, R>[], outcomes: readonly GroupOutcome<R>[]): void {
  for (let i = 0; i < group.length; i++) {
    const outcome = outcomes[i]!
    if (outcome.ok) group[i]!.resolve(outcome.value)
    else group[i]!.reject(outcome.error)
  }
}
