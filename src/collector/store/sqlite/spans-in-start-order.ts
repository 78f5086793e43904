/**
 * Spans in start order across services, from the (service, start_ns) index
 * alone. The spans table has no index on start_ns by itself: when spans
 * arrive out of time order (a backfill, sidecars flushing late) every such
 * index takes its entries at random places, and each page an insert touches
 * is written whole to the WAL and again at the checkpoint. What needs spans
 * of every service by start (a search without a service, retention) walks
 * each service's part of spans_by_service_start and merges the walks.
 *
 * Order everywhere is (start_ns, rowid): rowid breaks ties between spans that
 * start at the same nanosecond, as the single index did.
 */
import type Database from 'better-sqlite3'

/** A span's place in start order: [start_ns, rowid]. */
export type StartKey = readonly [bigint, bigint]

/** Start order of two rows that begin with [start_ns, rowid]. */
function compareKeys(a: readonly [bigint, bigint, ...unknown[]], b: readonly [bigint, bigint, ...unknown[]]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
}

/** Frontiers: undefined (nothing read yet) is above every key. */
function isAbove(a: StartKey | undefined, b: StartKey | undefined): boolean {
  if (a === undefined) return b !== undefined
  return b !== undefined && compareKeys(a, b) > 0
}

/** The services that have spans, hopping from one to the next in spans_by_service_start (a few index seeks each). */
export function servicesWithSpans(db: Database.Database): string[] {
  const first = db.prepare('SELECT MIN(service) FROM spans').pluck()
  const next = db.prepare('SELECT service FROM spans INDEXED BY spans_by_service_start WHERE service > ? ORDER BY service LIMIT 1').pluck()
  const services: string[] = []
  for (let service = first.get() as string | null | undefined; service !== null && service !== undefined; service = next.get(service) as string | undefined) {
    services.push(service)
  }
  return services
}

/**
 * The oldest `limit` spans (start before `beforeNs` when given), oldest
 * first, as [start_ns, rowid]: one iterator per service, merged, so at most
 * `limit` + one row per service is read.
 */
export function oldestSpans(db: Database.Database, limit: number, beforeNs?: bigint): StartKey[] {
  const services = servicesWithSpans(db)
  const sql = `SELECT start_ns, rowid FROM spans INDEXED BY spans_by_service_start WHERE service = ?${beforeNs === undefined ? '' : ' AND start_ns < ?'}
    ORDER BY start_ns, rowid`
  const walks: Array<{ rows: IterableIterator<StartKey>; head: StartKey }> = []
  const out: StartKey[] = []
  try {
    for (const service of services) {
      const rows = db
        .prepare(sql)
        .raw()
        .safeIntegers(true)
        .iterate(...(beforeNs === undefined ? [service] : [service, beforeNs])) as IterableIterator<StartKey>
      const first = rows.next()
      if (first.done === true) continue
      walks.push({ rows, head: first.value })
    }
    while (out.length < limit && walks.length > 0) {
      let oldest = 0
      for (let i = 1; i < walks.length; i++) if (compareKeys(walks[i]!.head, walks[oldest]!.head) < 0) oldest = i
      const walk = walks[oldest]!
      out.push(walk.head)
      const next = walk.rows.next()
      if (next.done === true) walks.splice(oldest, 1)
      else walk.head = next.value
    }
  } finally {
    for (const walk of walks) walk.rows.return?.()
  }
  return out
}

/** A search's conditions, in SQL on the spans table, without the service. */
export interface StartOrderScanConditions {
  /** Conditions that bound the index range (start_ns bounds). */
  range: readonly string[]
  rangeParams: readonly unknown[]
  /** Conditions on the rows in that range. */
  filters: readonly string[]
  filterParams: readonly unknown[]
}

/**
 * One service's walk, newest first, in steps of a bounded number of index
 * entries: a step first finds where it ends (the entry `stepRows` below
 * where the last one ended, from the index alone), then reads the rows in
 * between that pass the filters. So each step does bounded work even when
 * the filters let no row through.
 */
class ServiceWalk {
  /** Every row at or above this key was read: the next step reads only below it. undefined: nothing read yet. */
  private readUpTo: StartKey | undefined
  /** No row is left below `readUpTo`. */
  exhausted = false
  private step: IterableIterator<[bigint, bigint, Buffer]> | undefined
  /** The next row of the current step, not handed out yet. */
  head: [bigint, bigint, Buffer] | undefined

  constructor(
    private readonly service: string,
    private readonly statements: WalkStatements,
    private readonly conditions: StartOrderScanConditions,
    private stepRows: number,
  ) {}

  /** Where unread rows start, from above: every row not yet read is below it. */
  get frontier(): StartKey | undefined {
    return this.readUpTo
  }

  /** Reads the next step; its first row (if any passed) becomes `head`. */
  advance(): void {
    const { range, filter } = this.statements
    const rangeParams = [this.service, ...this.conditions.rangeParams]
    const upper = this.readUpTo
    const lower = (upper === undefined ? range.first.get(...rangeParams, this.stepRows - 1) : range.next.get(...rangeParams, ...upper, this.stepRows - 1)) as
      StartKey | undefined
    this.stepRows = Math.min(this.stepRows * 4, MAX_SCAN_STEP_ROWS)
    const params = [...rangeParams, ...(upper ?? []), ...(lower ?? []), ...this.conditions.filterParams]
    this.step = (filter.get(upper !== undefined, lower !== undefined) as Database.Statement).iterate(...params) as IterableIterator<[bigint, bigint, Buffer]>
    if (lower === undefined) this.exhausted = true
    else this.readUpTo = lower
    this.pull()
  }

  /** Moves `head` to the step's next row (undefined at its end). */
  pull(): void {
    if (this.step === undefined) return
    const next = this.step.next()
    if (next.done === true) {
      this.step = undefined
      this.head = undefined
    } else this.head = next.value
  }

  close(): void {
    this.step?.return?.()
    this.step = undefined
  }
}

interface WalkStatements {
  range: { first: Database.Statement; next: Database.Statement }
  /** Per (has an upper bound, has a lower bound); each walk prepares its own, as a statement iterates once at a time. */
  filter: { get(hasUpper: boolean, hasLower: boolean): Database.Statement }
}

/**
 * Index entries per step of a walk; the time budget is checked between
 * steps. Steps start small (a common search is answered from the newest few
 * hundred spans) and grow, so a long scan pays little for them.
 */
const FIRST_SCAN_STEP_ROWS = 1000
const MAX_SCAN_STEP_ROWS = 16_000

/**
 * Spans that pass `conditions`, newest first across `services`, handed to
 * `visit` (their trace id) until it returns false. Every service's walk
 * goes in steps (ServiceWalk); a row is handed out only once every other
 * walk has read past it, and the walk that holds the others back is the one
 * stepped. `overBudget` is asked every 64 rows and between steps; when it
 * says yes the walk stops and this returns true (incomplete).
 */
export function walkNewestFirst(
  db: Database.Database,
  services: readonly string[],
  conditions: StartOrderScanConditions,
  visit: (traceId: Buffer) => boolean,
  overBudget: () => boolean,
): boolean {
  const whereOf = (parts: readonly string[]): string => (parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '')
  const order = 'ORDER BY start_ns DESC, rowid DESC'
  const below = '(start_ns, rowid) < (?, ?)'
  const fromAtLeast = '(start_ns, rowid) >= (?, ?)'
  const range = ['service = ?', ...conditions.range]
  const boundary = (parts: readonly string[]): Database.Statement =>
    db
      .prepare(`SELECT start_ns, rowid FROM spans INDEXED BY spans_by_service_start ${whereOf(parts)} ${order} LIMIT 1 OFFSET ?`)
      .raw()
      .safeIntegers(true)
  const rangeStatements = { first: boundary(range), next: boundary([...range, below]) }
  const walks = services.map((service) => {
    const prepared = new Map<string, Database.Statement>()
    const filter = {
      get(hasUpper: boolean, hasLower: boolean): Database.Statement {
        const key = `${hasUpper}${hasLower}`
        let stmt = prepared.get(key)
        if (stmt === undefined) {
          const parts = [...range, ...(hasUpper ? [below] : []), ...(hasLower ? [fromAtLeast] : []), ...conditions.filters]
          stmt = db
            .prepare(`SELECT start_ns, rowid, trace_id FROM spans INDEXED BY spans_by_service_start ${whereOf(parts)} ${order}`)
            .raw()
            .safeIntegers(true)
          prepared.set(key, stmt)
        }
        return stmt
      },
    }
    // Many services share the first step's rows, so that a search's first answers cost about what one service's would.
    return new ServiceWalk(service, { range: rangeStatements, filter }, conditions, Math.max(64, Math.ceil(FIRST_SCAN_STEP_ROWS / services.length)))
  })
  let rows = 0
  try {
    for (;;) {
      // The newest row read and not handed out yet, among all walks.
      let newest: ServiceWalk | undefined
      for (const walk of walks) if (walk.head !== undefined && (newest === undefined || compareKeys(walk.head, newest.head!) > 0)) newest = walk
      // A walk whose step is used up may still hold rows newer than that one, below its frontier:
      // the one with the highest frontier (nothing read yet counts as highest) takes its next step.
      let behind: ServiceWalk | undefined
      for (const walk of walks) {
        if (walk.head !== undefined || walk.exhausted) continue
        const frontier = walk.frontier
        if (newest !== undefined && frontier !== undefined && compareKeys(frontier, newest.head!) <= 0) continue
        if (behind === undefined || isAbove(frontier, behind.frontier)) behind = walk
      }
      if (behind !== undefined) {
        // The budget is checked between steps: each walk's first step is always taken.
        if (behind.frontier !== undefined && overBudget()) return true
        behind.advance()
        continue
      }
      if (newest === undefined) return false
      const traceId = newest.head![2]
      newest.pull()
      if (!visit(traceId)) return false
      // Reading the clock every 64 rows keeps its cost out of the scan.
      if ((++rows & 63) === 0 && overBudget()) return true
    }
  } finally {
    for (const walk of walks) walk.close()
  }
}
