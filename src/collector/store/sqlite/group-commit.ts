/**
 * Group commit: the batches that reach the store in one turn of the event
 * loop are written in one transaction, each inside a savepoint of its own.
 *
 * Why: with synchronous=FULL a commit is an fsync, and it writes every page
 * the transaction changed to the WAL whole. Senders keep several requests in
 * flight, and while one batch is written the next ones arrive; committing
 * them together pays the fsync, the WAL frames of pages they share (the
 * table's last pages, the time indexes' newest pages, the B-trees' upper
 * levels) and SQLite's end-of-transaction work once for the group instead of
 * once per batch. That last one is not small: a page split parks a page at
 * the pending-byte page number (page 262,145 with 4 KiB pages, 131,073 with
 * 8 KiB) while it reorders pages, and in a file under 1 GiB that leaves the
 * page cache believing it holds a page past the end, so every commit scans
 * the cache's whole hash table to drop it (`pcache1TruncateUnsafe`: 5-6 % of the
 * collector's CPU under perf with the 64 MiB cache, one scan per commit).
 *
 * What each batch keeps:
 * - stored whole or not at all: a batch whose write throws is rolled back to
 *   its savepoint and rejected alone; the others in the group commit;
 * - acknowledged only after the commit: every promise settles after the
 *   group's COMMIT returned (or failed, which rejects them all);
 * - a lone batch waits no longer than one turn of the event loop.
 */
import type Database from 'better-sqlite3'

interface QueuedWrite {
  records: number
  write: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export class GroupCommit {
  private queue: QueuedWrite[] = []
  private scheduled = false
  private readonly inSavepoint: (write: () => unknown) => unknown
  private readonly inTransaction: (group: readonly QueuedWrite[]) => Outcome[]

  /**
   * @param maxRecordsPerCommit a group stops growing at this many records (a
   * single bigger batch still goes alone), so one commit's pages stay bounded.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly maxRecordsPerCommit: number,
  ) {
    // better-sqlite3 runs a transaction function called inside another transaction as a savepoint.
    this.inSavepoint = db.transaction((write: () => unknown) => write())
    this.inTransaction = db.transaction((group: readonly QueuedWrite[]) => {
      const outcomes: Outcome[] = []
      for (const item of group) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(item.write) })
        } catch (error) {
          // Some errors (SQLITE_FULL, an I/O error) end the whole transaction, not only the savepoint:
          // then nothing of the group is left to commit, and the rest must not run outside it.
          if (!this.db.inTransaction) throw error
          outcomes.push({ ok: false, error })
        }
      }
      return outcomes
    })
  }

  /**
   * Runs `write` in the next group's transaction; resolves with its result
   * once that transaction committed, rejects with what it threw (or with the
   * commit's error).
   */
  submit<T>(records: number, write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ records, write, resolve: resolve as (value: unknown) => void, reject })
      this.schedule()
    })
  }

  /** Commits everything queued, now (before the database closes). */
  flushNow(): void {
    while (this.queue.length > 0) this.commitNextGroup()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    // setImmediate runs after the I/O callbacks of this turn: the requests that arrived together are queued by then.
    setImmediate(() => {
      this.scheduled = false
      this.commitNextGroup()
      if (this.queue.length > 0) this.schedule()
    })
  }

  private commitNextGroup(): void {
    let take = 0
    let records = 0
    while (take < this.queue.length && (take === 0 || records + this.queue[take]!.records <= this.maxRecordsPerCommit)) {
      records += this.queue[take]!.records
      take++
    }
    if (take === 0) return
    const group = this.queue.splice(0, take)
    let outcomes: Outcome[]
    try {
      outcomes = this.inTransaction(group)
    } catch (err) {
      for (const item of group) item.reject(err)
      return
    }
    for (let i = 0; i < group.length; i++) {
      const outcome = outcomes[i]!
      if (outcome.ok) group[i]!.resolve(outcome.value)
      else group[i]!.reject(outcome.error)
    }
  }
}
