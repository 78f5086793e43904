/**
 * The embedded trace store: one SQLite file through better-sqlite3.
 *
 * Durability: WAL journal with synchronous=FULL, so a commit returns only
 * after the WAL is fsynced. A batch is acknowledged to its sender only after
 * its transaction commits, so neither `kill -9` nor a power cut loses an
 * acknowledged span (NORMAL would survive kill -9 but may lose the last
 * commits on power loss). Each received batch is stored whole or not at
 * all: batches that arrive together share one transaction, each in a
 * savepoint of its own (group-commit.ts).
 *
 * Queries are synchronous and run on the caller's thread; they are built to
 * touch few rows (index range scans that stop at the limit).
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { SPAN_KIND_NAMES } from '../../model/stored-span.js'
import type { AttributeMap, StoredLog, StoredSpan, SpanKindName } from '../../model/stored-span.js'
import type { IngestLog } from '../../otlp/decode-logs.js'
import type { IngestSpan } from '../../otlp/decode-traces.js'
import { msToNs, nanosToMs } from '../../otlp/otlp-values.js'
import type {
  DependencyEdge,
  DependencyReader,
  IncomingLinksResult,
  LogQuery,
  LogReader,
  LogWriter,
  OperationInfo,
  RetentionStep,
  RetentionStore,
  TraceColumns,
  SpanReader,
  SpanWriter,
  TraceQuery,
  TraceSearchResult,
  TraceSummary,
  WriteResult,
} from '../store-roles.js'
import { derivedTagCondition } from '../jaeger-derived-tags.js'
import { type SpanColumns, storedSpanOf } from '../stored-span-of.js'
import { summarizeTrace } from '../trace-summary.js'
import { GroupCommit } from './group-commit.js'
import { applyMigrations } from './migrations.js'
import { DependencyTally, SqliteDependencyCounts } from './sqlite-dependency-counts.js'
import { TRACE_STORE_MIGRATIONS, TRACE_STORE_MODULE } from './trace-store-schema.js'
import { prepareTraceColumns, readTraceColumns } from './trace-columns-read.js'
import { SqlConditions } from './sql-conditions.js'
import { oldestSpans, servicesWithSpans, walkNewestFirst } from './spans-in-start-order.js'

export interface SqliteTraceStoreOptions {
  /** Path of the database file; its folder is created when missing. */
  path: string
  /** Page cache per connection, in MiB. */
  cacheMiB?: number
  /**
   * 'full' (default): a commit returns after the WAL is fsynced, so an
   * acknowledged batch survives a power cut. 'normal': the WAL is fsynced
   * only at checkpoints; an acknowledged batch survives kill -9 and crashes
   * of the process, but the last ones may be lost if the machine loses power.
   */
  synchronous?: 'full' | 'normal'
  /** Where to say that the file's schema is being upgraded (the collector's log). */
  log?: (line: string) => void
}

interface SpanRow {
  trace_id: Buffer
  span_id: Buffer
  parent_span_id: Buffer | null
  service: string
  name: string
  kind: bigint
  start_ns: bigint
  end_ns: bigint
  status_code: bigint
  status_message: string
  trace_state: string
  resource_id: bigint
  scope_name: string
  scope_version: string
  attributes: string
  events: string | null
  links: string | null
}

interface LogRow {
  time_ns: bigint
  observed_ns: bigint
  severity_number: bigint
  severity_text: string
  body: string
  trace_id: Buffer | null
  span_id: Buffer | null
  service: string
  resource_id: bigint
  attributes: string
}

interface SummaryRow {
  span_id: Buffer
  service: string
  name: string
  parent_span_id: Buffer | null
  start_ns: bigint
  end_ns: bigint
  status_code: bigint
}

/** WAL between automatic checkpoints: 40 MiB at most, in steady ingest. */
const WAL_CHECKPOINT_BYTES = 40 * 1024 * 1024
/**
 * Page size of a new database file (one that exists keeps its own). Spans that arrive out of time
 * order insert into the indexes at random places, so a commit touches a page per entry or so in each;
 * SQLite writes each page touched to the WAL as a frame (two write calls) and copies it back at the
 * checkpoint. Pages of 8 KiB hold twice the entries: fewer distinct pages per commit, fewer frames.
 */
const NEW_FILE_PAGE_SIZE = 8192
/**
 * Records per shared commit at most: 16 of the 512-span batches OpenTelemetry's exporters send by default.
 * Beyond a few batches a bigger group saves little (see group-commit.ts) and holds the write lock longer.
 */
const MAX_RECORDS_PER_COMMIT = 8192
/** Spans with links read per step of `findLinksTo`; the time budget is checked between steps. */
const LINK_SCAN_STEP_ROWS = 2000

/**
 * '$."key"': keys with dots (http.method) must be quoted in a JSON path. A NUL
 * would end the path (SQLite reads it as a C string: "bad JSON path"), so
 * control characters are written as JSON escapes, which the path matches
 * against the stored key's own escapes.
 */
function jsonPath(key: string): string {
  const quoted = key
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    // eslint-disable-next-line no-control-regex -- the control characters are what is matched
    .replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `$."${quoted}"`
}

/** The values a `key=value` filter matches: the text, and the number or boolean it spells. */
function filterValues(value: string): [string, string | number] {
  if (value === 'true') return [value, 1]
  if (value === 'false') return [value, 0]
  const n = Number(value)
  return [value, value.trim() !== '' && Number.isFinite(n) ? n : value]
}

export class SqliteTraceStore implements SpanWriter, SpanReader, LogWriter, LogReader, DependencyReader, RetentionStore {
  /** The better-sqlite3 handle; only the SQLite storage's other tables (RED rollups) use it. */
  readonly db: Database.Database
  private readonly resourceIds = new Map<string, number>()
  private readonly resourceJsonById = new Map<number, AttributeMap>()
  private readonly knownOperations = new Set<string>()

  private readonly insertSpan: Database.Statement
  private readonly insertLog: Database.Statement
  private readonly insertResource: Database.Statement
  private readonly selectResourceId: Database.Statement
  private readonly selectResource: Database.Statement
  private readonly insertOperation: Database.Statement
  private readonly selectTrace: Database.Statement
  private readonly selectSummary: Database.Statement
  private readonly selectTraceColumns: Database.Statement
  private readonly selectSpan: Database.Statement
  private readonly selectParentService: Database.Statement
  private readonly dependencyCounts: SqliteDependencyCounts
  /** Every span and log write goes through it: batches that arrive together commit together. */
  private readonly groupCommit: GroupCommit
  private readonly writeSpansTx: (spans: readonly IngestSpan[], pendingResources: Map<string, number>, pendingOps: string[]) => number
  private readonly writeLogsTx: (logs: readonly IngestLog[], pendingResources: Map<string, number>) => number

  constructor(options: SqliteTraceStoreOptions) {
    mkdirSync(dirname(options.path), { recursive: true })
    const db = new Database(options.path)
    this.db = db
    try {
      const fresh = (db.pragma('page_count', { simple: true }) as number) === 0
      // Both only settable before the first table exists: the page size, and auto_vacuum, which lets
      // retention give space back.
      if (fresh) {
        db.pragma(`page_size = ${NEW_FILE_PAGE_SIZE}`)
        db.pragma('auto_vacuum = INCREMENTAL')
      }
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
      // A checkpoint copies each page changed since the last one back into the database file (and
      // fsyncs it). Every batch changes the same index pages again (the newest start times; with
      // scattered arrival, pages all over the indexes), so copying once per WAL_CHECKPOINT_BYTES
      // rather than SQLite's 1000 copies each such page once for many batches.
      const pageSize = db.pragma('page_size', { simple: true }) as number
      db.pragma(`wal_autocheckpoint = ${Math.round(WAL_CHECKPOINT_BYTES / pageSize)}`)
      // Another process holding the write lock briefly (a backup, sqlite3 CLI): wait a little, then 503.
      db.pragma('busy_timeout = 200')
      db.pragma(`cache_size = -${(options.cacheMiB ?? 64) * 1024}`)
      db.pragma('temp_store = MEMORY')
      applyMigrations(db, TRACE_STORE_MODULE, TRACE_STORE_MIGRATIONS, (migration) =>
        options.log?.(
          `upgrading ${options.path} to trace-store schema version ${migration.version} (${migration.description}): ` +
            'this runs once and may read every stored span; nothing is received until it ends',
        ),
      )
    } catch (err) {
      db.close()
      throw err
    }

    this.insertSpan = db.prepare(`INSERT OR IGNORE INTO spans (trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns,
      status_code, status_message, trace_state, flags, resource_id, scope_name, scope_version, attributes, events, links, parent_missing)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.insertLog = db.prepare(`INSERT INTO logs (time_ns, observed_ns, severity_number, severity_text, body, trace_id, span_id, service,
      resource_id, scope_name, scope_version, attributes, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.insertResource = db.prepare('INSERT OR IGNORE INTO resources (service, attributes) VALUES (?, ?)')
    this.selectResourceId = db.prepare('SELECT id FROM resources WHERE attributes = ?').pluck()
    this.selectResource = db.prepare('SELECT attributes FROM resources WHERE id = ?').pluck()
    this.insertOperation = db.prepare('INSERT OR IGNORE INTO operations (service, name, kind) VALUES (?, ?, ?)')
    this.selectTrace = db
      .prepare(
        `SELECT trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code, status_message, trace_state,
        resource_id, scope_name, scope_version, attributes, events, links FROM spans WHERE trace_id = ? ORDER BY start_ns`,
      )
      .safeIntegers(true)
    this.selectSummary = db
      .prepare('SELECT span_id, service, name, parent_span_id, start_ns, end_ns, status_code FROM spans WHERE trace_id = ?')
      .safeIntegers(true)
    this.selectTraceColumns = prepareTraceColumns(db)
    this.selectSpan = db
      .prepare(
        `SELECT trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code, status_message, trace_state,
        resource_id, scope_name, scope_version, attributes, events, links FROM spans WHERE trace_id = ? AND span_id = ?`,
      )
      .safeIntegers(true)

    this.selectParentService = db.prepare('SELECT service FROM spans WHERE trace_id = ? AND span_id = ?').pluck()
    this.dependencyCounts = new SqliteDependencyCounts(db)

    for (const { service, name, kind } of db.prepare('SELECT service, name, kind FROM operations').all() as Array<{
      service: string
      name: string
      kind: number
    }>) {
      this.knownOperations.add(`${service}\u0000${name}\u0000${kind}`)
    }

    this.writeSpansTx = (spans: readonly IngestSpan[], pendingResources: Map<string, number>, pendingOps: string[]): number => {
      let stored = 0
      const seenOps = new Set<string>()
      // Calls between services are counted here, in the same transaction (sqlite-dependency-counts.ts):
      // a child whose parent is in this batch or already stored is counted now; one whose parent is
      // not is marked, and counted when its parent is stored.
      const inBatch = new Map<string, string>()
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i]!.span
        const key = span.traceId + span.spanId
        if (!inBatch.has(key)) inBatch.set(key, span.service)
      }
      const tally = new DependencyTally()
      const newSpans = new Map<string, { traceIdBytes: Buffer; services: Map<string, string> }>()
      for (let i = 0; i < spans.length; i++) {
        const item = spans[i]!
        const span = item.span
        const resourceId = this.resourceIdFor(item.resourceJson, span.service, pendingResources)
        let parentService: string | undefined
        if (span.parentSpanId !== null) {
          parentService =
            inBatch.get(span.traceId + span.parentSpanId) ?? (this.selectParentService.get(item.traceIdBytes, item.parentSpanIdBytes) as string | undefined)
        }
        const result = this.insertSpan.run(
          item.traceIdBytes,
          item.spanIdBytes,
          item.parentSpanIdBytes,
          span.service,
          span.name,
          item.kind,
          item.startNs,
          item.endNs,
          item.statusCode,
          span.status.message,
          span.traceState,
          item.flags,
          resourceId,
          span.scope.name,
          span.scope.version,
          JSON.stringify(span.attributes),
          span.events.length === 0 ? null : JSON.stringify(span.events),
          span.links.length === 0 ? null : JSON.stringify(span.links),
          span.parentSpanId !== null && parentService === undefined ? 1 : null,
        )
        stored += result.changes
        if (result.changes > 0) {
          if (parentService !== undefined && parentService !== span.service) tally.add(parentService, span.service, item.startNs, item.statusCode === 2, 1)
          let trace = newSpans.get(span.traceId)
          if (trace === undefined) newSpans.set(span.traceId, (trace = { traceIdBytes: item.traceIdBytes, services: new Map() }))
          trace.services.set(span.spanId, span.service)
        }
        const opKey = `${span.service}\u0000${span.name}\u0000${item.kind}`
        if (!this.knownOperations.has(opKey) && !seenOps.has(opKey)) {
          seenOps.add(opKey)
          this.insertOperation.run(span.service, span.name, item.kind)
          pendingOps.push(opKey)
        }
      }
      this.dependencyCounts.countLateParents(tally, newSpans)
      this.dependencyCounts.write(tally)
      return stored
    }

    this.writeLogsTx = (logs: readonly IngestLog[], pendingResources: Map<string, number>): number => {
      for (let i = 0; i < logs.length; i++) {
        const item = logs[i]!
        const log = item.log
        const resourceId = this.resourceIdFor(item.resourceJson, log.service, pendingResources)
        this.insertLog.run(
          item.timeNs,
          item.observedNs,
          log.severityNumber,
          log.severityText,
          log.body,
          log.traceId === '' ? null : Buffer.from(log.traceId, 'hex'),
          log.spanId === '' ? null : Buffer.from(log.spanId, 'hex'),
          log.service,
          resourceId,
          item.scope.name,
          item.scope.version,
          JSON.stringify(log.attributes),
          item.flags,
        )
      }
      return logs.length
    }
    this.groupCommit = new GroupCommit(db, MAX_RECORDS_PER_COMMIT)
  }

  /** Within a write transaction: ids it creates are remembered only once it commits. */
  private resourceIdFor(json: string, service: string, pending: Map<string, number>): number {
    const known = this.resourceIds.get(json) ?? pending.get(json)
    if (known !== undefined) return known
    this.insertResource.run(service, json)
    const id = this.selectResourceId.get(json) as number
    pending.set(json, id)
    return id
  }

  async writeSpans(spans: readonly IngestSpan[]): Promise<WriteResult> {
    if (spans.length === 0) return { stored: 0 }
    const pendingResources = new Map<string, number>()
    const pendingOps: string[] = []
    const stored = await this.groupCommit.submit(spans.length, () => this.writeSpansTx(spans, pendingResources, pendingOps))
    for (const [json, id] of pendingResources) this.resourceIds.set(json, id)
    for (const op of pendingOps) this.knownOperations.add(op)
    return { stored }
  }

  async writeLogs(logs: readonly IngestLog[]): Promise<WriteResult> {
    if (logs.length === 0) return { stored: 0 }
    const pendingResources = new Map<string, number>()
    const stored = await this.groupCommit.submit(logs.length, () => this.writeLogsTx(logs, pendingResources))
    for (const [json, id] of pendingResources) this.resourceIds.set(json, id)
    return { stored }
  }

  async services(): Promise<string[]> {
    return this.db.prepare('SELECT DISTINCT service FROM operations ORDER BY service').pluck().all() as string[]
  }

  async operations(service: string): Promise<OperationInfo[]> {
    const rows = this.db.prepare('SELECT name, kind FROM operations WHERE service = ? ORDER BY name, kind').all(service) as Array<{
      name: string
      kind: number
    }>
    return rows.map((r) => ({ name: r.name, spanKind: (SPAN_KIND_NAMES[r.kind] ?? 'UNSPECIFIED') as SpanKindName }))
  }

  private resourceAttributes(id: number): AttributeMap {
    let attrs = this.resourceJsonById.get(id)
    if (attrs === undefined) {
      const json = this.selectResource.get(id) as string | undefined
      attrs = json === undefined ? {} : (JSON.parse(json) as AttributeMap)
      this.resourceJsonById.set(id, attrs)
    }
    return attrs
  }

  async getTrace(traceId: string): Promise<StoredSpan[]> {
    if (!/^[0-9a-f]{32}$/.test(traceId)) return []
    const rows = this.selectTrace.all(Buffer.from(traceId, 'hex')) as SpanRow[]
    return rows.map((row) => this.spanFromRow(row))
  }

  async getTraceColumns(traceId: string): Promise<TraceColumns | undefined> {
    if (!/^[0-9a-f]{32}$/.test(traceId)) return undefined
    return readTraceColumns(this.selectTraceColumns, traceId)
  }

  async getSpan(traceId: string, spanId: string): Promise<StoredSpan | undefined> {
    if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId)) return undefined
    const row = this.selectSpan.get(Buffer.from(traceId, 'hex'), Buffer.from(spanId, 'hex')) as SpanRow | undefined
    return row === undefined ? undefined : this.spanFromRow(row)
  }

  private spanFromRow(row: SpanRow): StoredSpan {
    return storedSpanOf(this.columnsOf(row))
  }

  private columnsOf(row: SpanRow): SpanColumns {
    return {
      traceId: row.trace_id.toString('hex'),
      spanId: row.span_id.toString('hex'),
      parentSpanId: row.parent_span_id === null ? null : row.parent_span_id.toString('hex'),
      name: row.name,
      kind: Number(row.kind),
      service: row.service,
      startNs: row.start_ns,
      endNs: row.end_ns,
      traceState: row.trace_state,
      statusCode: Number(row.status_code),
      statusMessage: row.status_message,
      attributesJson: row.attributes,
      resource: row.resource_id === undefined ? {} : this.resourceAttributes(Number(row.resource_id)),
      scopeName: row.scope_name,
      scopeVersion: row.scope_version,
      eventsJson: row.events,
      linksJson: row.links,
    }
  }

  private summarize(traceIds: readonly string[]): TraceSummary[] {
    const out: TraceSummary[] = []
    for (const traceId of traceIds) {
      const rows = this.selectSummary.all(Buffer.from(traceId, 'hex')) as SummaryRow[]
      const summary = summarizeTrace(
        traceId,
        rows.map((row) => ({
          spanId: row.span_id.toString('hex'),
          parentSpanId: row.parent_span_id === null ? null : row.parent_span_id.toString('hex'),
          service: row.service,
          name: row.name,
          startNs: row.start_ns,
          endNs: row.end_ns,
          error: row.status_code === 2n,
        })),
      )
      if (summary !== undefined) out.push(summary)
    }
    return out
  }

  async findLinksTo(traceId: string, options: { limit: number; budgetMs?: number }): Promise<IncomingLinksResult> {
    if (!/^[0-9a-f]{32}$/.test(traceId)) return { links: [], incomplete: false }
    const target = Buffer.from(traceId, 'hex')
    // Links are JSON text on the span (hex ids): the spans_with_links index walks only the
    // spans that have links, newest first, and instr() leaves unparsed those that cannot name
    // the trace; the candidates are parsed to check that a link's traceId really is it.
    const columns = 'rowid, start_ns, trace_id, span_id, service, name, CASE WHEN instr(links, ?) > 0 THEN links END AS links'
    const order = 'ORDER BY start_ns DESC, rowid DESC LIMIT ?'
    const first = this.db.prepare(`SELECT ${columns} FROM spans INDEXED BY spans_with_links WHERE links IS NOT NULL ${order}`).safeIntegers(true)
    const next = this.db
      .prepare(`SELECT ${columns} FROM spans INDEXED BY spans_with_links WHERE links IS NOT NULL AND (start_ns, rowid) < (?, ?) ${order}`)
      .safeIntegers(true)
    type Row = { rowid: bigint; start_ns: bigint; trace_id: Buffer; span_id: Buffer; service: string; name: string; links: string | null }
    const deadline = options.budgetMs === undefined ? Infinity : performance.now() + options.budgetMs
    const links: IncomingLinksResult['links'] = []
    let after: [bigint, bigint] | undefined
    for (;;) {
      const rows = (after === undefined ? first.all(traceId, LINK_SCAN_STEP_ROWS) : next.all(traceId, ...after, LINK_SCAN_STEP_ROWS)) as Row[]
      for (const row of rows) {
        if (row.links === null || row.trace_id.equals(target)) continue
        for (const link of JSON.parse(row.links) as StoredSpan['links']) {
          if (link.traceId !== traceId) continue
          links.push({
            traceId: row.trace_id.toString('hex'),
            spanId: row.span_id.toString('hex'),
            service: row.service,
            name: row.name,
            startTimeUnixMs: nanosToMs(row.start_ns),
            linkedSpanId: link.spanId,
            traceState: link.traceState,
            attributes: link.attributes,
          })
          if (links.length >= options.limit) return { links, incomplete: false }
        }
      }
      if (rows.length < LINK_SCAN_STEP_ROWS) return { links, incomplete: false }
      const last = rows[rows.length - 1]!
      after = [last.start_ns, last.rowid]
      if (performance.now() > deadline) return { links, incomplete: true }
    }
  }

  async findTraces(query: TraceQuery): Promise<TraceSearchResult> {
    // Range conditions select the index range; the others filter rows in it.
    const rangeConditions = new SqlConditions()
    rangeConditions.when(query.startUnixMs, 'start_ns >= ?', msToNs)
    rangeConditions.when(query.endUnixMs, 'start_ns <= ?', msToNs)
    const filterConditions = new SqlConditions()
    filterConditions.when(query.operation, 'name = ?')
    filterConditions.when(query.minDurationMs, 'end_ns - start_ns >= ?', msToNs)
    filterConditions.when(query.maxDurationMs, 'end_ns - start_ns <= ?', msToNs)
    if (query.errorOnly === true) filterConditions.add('status_code = 2')
    for (const tag of query.spanTags ?? []) {
      const [sql, params] = this.spanTagCondition(tag.key, tag.value)
      filterConditions.add(sql, ...params)
    }
    // A search without a service merges every service's walk of spans_by_service_start (spans-in-start-order.ts).
    const services = query.service !== undefined ? [query.service] : servicesWithSpans(this.db)
    const checks = this.traceChecks(query)
    const found: string[] = []
    const seen = new Set<string>()
    const deadline = query.budgetMs === undefined ? Infinity : performance.now() + query.budgetMs
    const incomplete = walkNewestFirst(
      this.db,
      services,
      { range: rangeConditions.sql, rangeParams: rangeConditions.params, filters: filterConditions.sql, filterParams: filterConditions.params },
      (traceIdBytes) => {
        const traceId = traceIdBytes.toString('hex')
        if (seen.has(traceId)) return true
        seen.add(traceId)
        if (checks.every((check) => check(traceIdBytes))) found.push(traceId)
        return found.length < query.limit
      },
      () => performance.now() > deadline,
    )
    return { traces: this.summarize(found).sort((a, b) => b.startTimeUnixMs - a.startTimeUnixMs), incomplete }
  }

  /**
   * A Jaeger tag as a condition on one span row, checked while the scan walks
   * the (service, start) index: the cheap column tests come first
   * and SQLite stops at the first that holds, so events are only parsed for
   * spans that have them and matched nothing cheaper.
   */
  private spanTagCondition(key: string, value: string): [string, unknown[]] {
    const path = jsonPath(key)
    const [text, typed] = filterValues(value)
    const alternatives: string[] = []
    const params: unknown[] = []
    const derived = derivedTagCondition(key, value)
    if (derived !== undefined) {
      alternatives.push(`${derived.column} = ?`)
      params.push(derived.value)
    }
    alternatives.push('json_extract(attributes, ?) IN (?, ?)')
    params.push(path, text, typed)
    const resourceIds = this.resourceIdsWith(path, text, typed)
    if (resourceIds.length > 0) alternatives.push(`resource_id IN (${resourceIds.join(',')})`)
    const eventMatch = key === 'event' ? "json_extract(e.value, '$.name') = ? OR json_extract(e.value, ?) IN (?, ?)" : 'json_extract(e.value, ?) IN (?, ?)'
    alternatives.push(`(events IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(events) e WHERE ${eventMatch}))`)
    if (key === 'event') params.push(text)
    params.push(`$.attributes${path.slice(1)}`, text, typed)
    return [`(${alternatives.join(' OR ')})`, params]
  }

  private resourceIdsWith(path: string, text: string, typed: string | number): number[] {
    const ids = this.db.prepare('SELECT id FROM resources WHERE json_extract(attributes, ?) IN (?, ?)').pluck().all(path, text, typed) as number[]
    return ids.map(Number)
  }

  /** One check per attr/tracestate condition; each must hold on some span of the trace. */
  private traceChecks(query: TraceQuery): Array<(traceId: Buffer) => boolean> {
    const checks: Array<(traceId: Buffer) => boolean> = []
    for (const { key, value } of query.attributes ?? []) {
      const path = jsonPath(key)
      const [text, typed] = filterValues(value)
      const resourceIds = this.resourceIdsWith(path, text, typed)
      const inResources = resourceIds.length > 0 ? ` OR resource_id IN (${resourceIds.join(',')})` : ''
      const stmt = this.db.prepare(`SELECT 1 FROM spans WHERE trace_id = ? AND (json_extract(attributes, ?) IN (?, ?)${inResources}) LIMIT 1`).pluck()
      checks.push((traceId) => stmt.get(traceId, path, text, typed) !== undefined)
    }
    for (const { key, value } of query.traceState ?? []) {
      // List members are comma-separated with optional blanks around them (W3C trace-context §3.3).
      const stmt = this.db
        .prepare(`SELECT 1 FROM spans WHERE trace_id = ? AND (',' || replace(replace(trace_state, ' ', ''), char(9), '') || ',') LIKE ? ESCAPE '\\' LIMIT 1`)
        .pluck()
      const member = `%,${`${key}=${value}`.replace(/[\\%_]/g, (c) => `\\${c}`)},%`
      checks.push((traceId) => stmt.get(traceId, member) !== undefined)
    }
    return checks
  }

  async findLogs(query: LogQuery): Promise<StoredLog[]> {
    const conditions = new SqlConditions()
    conditions.when(query.traceId, 'trace_id = ?', hexBytes)
    conditions.when(query.spanId, 'span_id = ?', hexBytes)
    conditions.when(query.service, 'service = ?')
    conditions.when(query.startUnixMs, 'time_ns >= ?', msToNs)
    conditions.when(query.endUnixMs, 'time_ns <= ?', msToNs)
    if (query.text !== undefined && query.text !== '') {
      conditions.add(`body LIKE ? ESCAPE '\\'`, `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    }
    const { sql: where, params } = conditions
    const sql = `SELECT time_ns, observed_ns, severity_number, severity_text, body, trace_id, span_id, service, resource_id, attributes
      FROM logs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ns ${query.order === 'asc' ? 'ASC' : 'DESC'}, id ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`
    const rows = this.db
      .prepare(sql)
      .safeIntegers(true)
      .all(...params, query.limit) as LogRow[]
    return rows.map((row) => ({
      timeUnixMs: nanosToMs(row.time_ns),
      observedTimeUnixMs: nanosToMs(row.observed_ns),
      severityText: row.severity_text,
      severityNumber: Number(row.severity_number),
      body: row.body,
      traceId: row.trace_id === null ? '' : row.trace_id.toString('hex'),
      spanId: row.span_id === null ? '' : row.span_id.toString('hex'),
      service: row.service,
      attributes: JSON.parse(row.attributes) as AttributeMap,
      resource: this.resourceAttributes(Number(row.resource_id)),
    }))
  }

  /** Adds up the calls counted at ingest (sqlite-dependency-counts.ts): a few bucket rows, whatever the window. */
  async dependencies(startUnixMs: number, endUnixMs: number): Promise<DependencyEdge[]> {
    return this.dependencyCounts.read(msToNs(startUnixMs), msToNs(endUnixMs))
  }

  /** Deletes spans by rowid in one transaction, with the calls they took part in. */
  private deleteSpans(rowids: readonly number[]): number {
    if (rowids.length === 0) return 0
    return this.db.transaction(() => {
      const tally = new DependencyTally()
      this.dependencyCounts.forgetSpans(tally, rowids)
      const deleted = this.db.prepare('DELETE FROM spans WHERE rowid IN (SELECT value FROM json_each(?))').run(JSON.stringify(rowids)).changes
      this.dependencyCounts.write(tally)
      return deleted
    })()
  }

  async deleteOlderThan(cutoffUnixMs: number, maxRecords: number): Promise<RetentionStep> {
    const cutoff = msToNs(cutoffUnixMs)
    const spans = this.deleteSpans(oldestSpans(this.db, maxRecords, cutoff).map(([, rowid]) => Number(rowid)))
    const logs = this.db
      .prepare('DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE time_ns < ? ORDER BY time_ns LIMIT ?)')
      .run(cutoff, maxRecords).changes
    return { deleted: spans + logs }
  }

  async deleteOldest(maxRecords: number): Promise<RetentionStep> {
    const oldest = oldestSpans(this.db, maxRecords)
    // Remove spans and logs up to the same moment, so neither outlives the other by much: the newest of
    // the spans deleted (when fewer than maxRecords are left, that is every span, and the newest of all).
    const cutoff = oldest.length > 0 ? oldest[oldest.length - 1]![0] : 0n
    const spans = this.deleteSpans(oldest.map(([, rowid]) => Number(rowid)))
    let logs = this.db.prepare('DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE time_ns <= ? ORDER BY time_ns LIMIT ?)').run(cutoff, maxRecords).changes
    // Only logs left: they are what fills the database.
    if (spans === 0 && logs === 0) logs = this.db.prepare('DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY time_ns LIMIT ?)').run(maxRecords).changes
    return { deleted: spans + logs }
  }

  async pruneServices(): Promise<number> {
    const gone = this.db
      .prepare(
        'SELECT DISTINCT service FROM operations o WHERE NOT EXISTS (SELECT 1 FROM spans INDEXED BY spans_by_service_start WHERE spans.service = o.service)',
      )
      .pluck()
      .all() as string[]
    if (gone.length === 0) return 0
    const remove = this.db.prepare('DELETE FROM operations WHERE service = ?')
    this.db.transaction(() => {
      for (const service of gone) remove.run(service)
    })()
    for (const key of [...this.knownOperations]) if (gone.includes(key.slice(0, key.indexOf('\u0000')))) this.knownOperations.delete(key)
    return gone.length
  }

  async usedBytes(): Promise<number> {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number
    const pages = this.db.pragma('page_count', { simple: true }) as number
    const free = this.db.pragma('freelist_count', { simple: true }) as number
    return (pages - free) * pageSize
  }

  async reclaimSpace(maxPages: number): Promise<void> {
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`)
  }

  close(): void {
    if (!this.db.open) return
    this.groupCommit.flushNow()
    this.db.close()
  }
}

/** An id's hex as the bytes the table stores. */
function hexBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex')
}
