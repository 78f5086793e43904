/**
 * Spans and logs in ClickHouse (tables in clickhouse-schema.ts), through the
 * official client's HTTP interface, and the requests of every write group as
 * plain POSTs (clickhouse-ingest-http.ts). Plays the span and log writer and reader
 * roles and the dependency reader.
 *
 * Writes: each span of a batch is written as a TabSeparated row as soon as
 * it is read (clickhouse-span-rows.ts; a plain span straight from its
 * protobuf bytes, clickhouse-plain-span.ts), and the batches that arrive
 * while a write is in flight go together (clickhouse-write-groups.ts) as
 * one INSERT (the materialized views fill the search and by-trace tables in
 * the same request), then one INSERT … SELECT of the calls between services
 * (clickhouse-dependency-calls.ts); log batches are written as
 * TabSeparated rows too and grouped the same way, one INSERT per group. A
 * batch's promise resolves only when ClickHouse answered the INSERT that
 * carried it, and the receiver acknowledges only then. A span
 * already stored is left out of the insert (one lookup by trace id first),
 * and when two collectors race with the same retried batch, the
 * ReplacingMergeTree keeps one row and every read takes one per span id.
 *
 * Reads: ids are hex text, times integer nanoseconds, as in SQLite; values a
 * user gives are written into the SQL as escaped literals (clickhouse-sql.ts).
 */
import { createHash } from 'node:crypto'
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { SPAN_KIND_NAMES } from '../../model/stored-span.js'
import type { AttributeMap, SpanKindName, StoredLog, StoredSpan } from '../../model/stored-span.js'
import type { IngestLog } from '../../otlp/decode-logs.js'
import type { IngestSpan } from '../../otlp/decode-traces.js'
import { msToNs, nanosToMs } from '../../otlp/otlp-values.js'
import { derivedTagCondition } from '../jaeger-derived-tags.js'
import type {
  DependencyEdge,
  DependencyReader,
  IncomingLinksResult,
  LogQuery,
  LogReader,
  LogWriter,
  OperationInfo,
  SpanReader,
  SpanBatchWriter,
  SpanWriter,
  TraceIdsResult,
  TraceQuery,
  TraceSearchResult,
  TraceSummary,
  WriteResult,
} from '../store-roles.js'
import { storedSpanOf } from '../stored-span-of.js'
import { summarizeTrace } from '../trace-summary.js'
import { unreachableOr } from '../store-unreachable.js'
import { sqlHexList, sqlString, sqlStringList, sqlUInt } from './clickhouse-sql.js'
import { TabSeparatedBody } from './clickhouse-tab-separated.js'
import type { ClickHouseIngestHttp } from './clickhouse-ingest-http.js'
import { dayOf, ROW_BYTES_PER_REQUEST_BYTE, ROW_BYTES_PER_SPAN, SPAN_INSERT_COLUMNS, SpanRows, SpanRowsBatch } from './clickhouse-span-rows.js'
import type { PreparedSpans } from './clickhouse-span-rows.js'
import { dependenciesQuery, insertCallsStatement } from './clickhouse-dependency-calls.js'
import { WriteGroups } from './clickhouse-write-groups.js'
import type { GroupOutcome } from './clickhouse-write-groups.js'

const SPAN_COLUMNS = `trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code, status_message, trace_state,
  scope_name, scope_version, resource, attributes, events, links`

interface SpanRow {
  trace_id: string
  span_id: string
  parent_span_id: string
  service: string
  name: string
  kind: number
  start_ns: string
  end_ns: string
  status_code: number
  status_message: string
  trace_state: string
  scope_name: string
  scope_version: string
  resource: string
  attributes: string
  events: string
  links: string
}

interface LogRow {
  time_ns: string
  observed_ns: string
  severity_number: number
  severity_text: string
  body: string
  trace_id: string
  span_id: string
  service: string
  resource: string
  attributes: string
}

/** A group's requests stay under a few MiB however many batches are queued (the span lookups list every id). */
const MAX_RECORDS_PER_GROUP = 8192

/**
 * Under load, a group waits this long after the previous group's write for more batches
 * (clickhouse-write-groups.ts): at most 50 inserts a second while busy, and each sender waits
 * this much longer for its acknowledgement then. Measured with bench/collector/run.js (4 senders
 * of 512-span batches, one or two runs per setting): 20 ms gave the most spans per collector
 * CPU-second and per wall second; 5 ms a little more than none, 10 ms no more; 50 and 100 ms
 * fewer per wall second.
 */
const GROUP_LINGER_MS = 20

const HEX_TRACE_ID = /^[0-9a-f]{32}$/
const HEX_SPAN_ID = /^[0-9a-f]{16}$/

/**
 * Which of a group's spans (numbered across its batches in order) to write: 1 for a span not stored
 * yet and not sent again later in the group (the last copy sent is the one written, counted for the
 * batch that sent it), 0 for the others.
 */
function spansToWrite(batches: readonly PreparedSpans[], known: ReadonlyArray<{ trace_id: string; span_id: string }>): Uint8Array {
  const keys: string[] = []
  const last = new Map<string, number>()
  for (const batch of batches) {
    for (let i = 0; i < batch.traceIds.length; i++) {
      const key = batch.traceIds[i]! + batch.spanIds[i]!
      last.set(key, keys.length)
      keys.push(key)
    }
  }
  const knownKeys = new Set(known.map((row) => row.trace_id + row.span_id))
  const written = new Uint8Array(keys.length)
  for (let n = 0; n < keys.length; n++) if (last.get(keys[n]!) === n && !knownKeys.has(keys[n]!)) written[n] = 1
  return written
}

/** The logs insert's columns, in the order writeLogs writes them. */
const LOG_INSERT_COLUMNS = [
  'time_ns',
  'observed_ns',
  'seq',
  'record_id',
  'severity_number',
  'severity_text',
  'body',
  'trace_id',
  'span_id',
  'service',
  'resource',
  'scope_name',
  'scope_version',
  'attributes',
  'flags',
  'time_date',
] as const

/** Room a batch of log records starts with, per record (the buffer doubles when the rows need more). */
const ROW_BYTES_PER_LOG = 512

/** A batch of log records waiting for its group's write: their TabSeparated rows. */
interface PreparedLogs {
  rows: Buffer
  count: number
}

/** Most trace ids a search checks for its any-span conditions in one read (they go into the SQL). */
const MAX_CANDIDATES_PER_PAGE = 20_000

/** The first window of a search, and how much each next one is longer. */
const FIRST_SEARCH_WINDOW_MS = 10_000
const SEARCH_WINDOW_GROWTH = 8

/**
 * The lower bounds (Unix ms; undefined: the search's own, or none) of the windows a search tries in
 * turn, each ending where the search ends: 10 s before `anchor` (the search's end, or the newest
 * stored span), 80 s, about 11 minutes, 85, ... until one would reach back to `since` (the search's
 * start, or the oldest stored span), then the whole range. Traces are ranked by their newest
 * matching span, so once a window finds `limit` traces, no trace outside it can rank among them
 * (its matching spans all start before the window), and their ranks are those over the whole range:
 * the answer is exact, whatever the bounds. Recent traces, the common
 * question, are then found in seconds of spans instead of a GROUP BY over every span of the range;
 * a search that matches little reads the range up to about twice (the windows, then the whole).
 */
function searchWindows(sinceUnixMs: number, anchorUnixMs: number): Array<number | undefined> {
  const lowers: Array<number | undefined> = []
  for (let width = FIRST_SEARCH_WINDOW_MS; anchorUnixMs - width > sinceUnixMs; width *= SEARCH_WINDOW_GROWTH) {
    lowers.push(anchorUnixMs - width)
  }
  lowers.push(undefined)
  return lowers
}

/** A query stops after the budget (whole seconds, at least one) and returns what it has. */
function budgetSettings(budgetMs: number): ClickHouseSettings | undefined {
  return Number.isFinite(budgetMs) ? { max_execution_time: Math.max(1, Math.ceil(budgetMs / 1000)), timeout_overflow_mode: 'break' } : undefined
}

/** The setting that lets ClickHouse parse a long query whole, when `query` needs it. */
function querySize(query: string): { max_query_size: string } | undefined {
  // A big group's statements list its ids: more than the 256 KiB a query may have by default.
  const size = query.length > 64 * 1024 ? Buffer.byteLength(query) : 0
  return size > 200 * 1024 ? { max_query_size: String(size + 1024) } : undefined
}

/** The settings for a query, raised to let ClickHouse parse it whole when it is long. */
function withQuerySize(query: string, settings?: ClickHouseSettings): ClickHouseSettings | undefined {
  const size = querySize(query)
  return size === undefined ? settings : { ...settings, ...size }
}

/** A search's budget ran out while ClickHouse was answering. */
class SearchBudgetSpent extends Error {}

/** A condition on a span, with a cheaper one it implies (to filter rows before the exact check), if any. */
interface SpanCondition {
  condition: string
  likely?: string
}

/** The condition "some key/value pair of these arrays is key=value". */
function pairCondition(keys: string, values: string, key: string, value: string): string {
  return `arrayExists((k, v) -> k = ${sqlString(key)} AND v = ${sqlString(value)}, ${keys}, ${values})`
}

export class ClickHouseTraceStore implements SpanWriter, SpanReader, LogWriter, LogReader, DependencyReader {
  /** Parsed resources by their JSON text: a service's spans share one. */
  private readonly resources = new Map<string, AttributeMap>()
  private readonly spanRows = new SpanRows()
  /** The oldest and newest span starts (Unix ms) when last asked, and when that was: bound a search's windows. */
  private storedSpans: { oldestUnixMs: number; newestUnixMs: number } | undefined
  private storedSpansAskedAt = -Infinity
  private readonly spanGroups = new WriteGroups<PreparedSpans, WriteResult>((batches) => this.writeSpanGroup(batches), MAX_RECORDS_PER_GROUP, GROUP_LINGER_MS)
  /**
   * Log batches are grouped the same way: many sidecars sending their access logs would otherwise
   * make an insert each, and each insert is a part for ClickHouse to merge.
   */
  private readonly logGroups = new WriteGroups<PreparedLogs, WriteResult>((batches) => this.writeLogGroup(batches), MAX_RECORDS_PER_GROUP, GROUP_LINGER_MS)

  constructor(
    private readonly client: ClickHouseClient,
    /** The requests of every write group (clickhouse-ingest-http.ts). */
    private readonly ingest: ClickHouseIngestHttp,
  ) {
    // The tables exist by now (clickhouse-storage.ts migrates first): the first search after a
    // restart then finds its bounds known.
    this.askStoredSpanTimes()
  }

  private async rows<T>(query: string, settings?: ClickHouseSettings, signal?: AbortSignal): Promise<T[]> {
    try {
      const result = await this.client.query({ query, format: 'JSONEachRow', clickhouse_settings: withQuerySize(query, settings), abort_signal: signal })
      return await result.json<T>()
    } catch (err) {
      if (signal?.aborted === true) throw new SearchBudgetSpent()
      throw unreachableOr(err, 'ClickHouse')
    }
  }

  /** One of a write group's requests (clickhouse-ingest-http.ts), its failure as rows() gives its. */
  private async ingestRequest<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (err) {
      throw unreachableOr(err, 'ClickHouse')
    }
  }

  /**
   * A search's query with what is left of its budget, or undefined once that is spent. 18.16 counts
   * `max_execution_time` in whole seconds, so the request is also given up when the budget ends.
   */
  private async rowsWithin<T>(query: string, remainingMs: number): Promise<T[] | undefined> {
    if (remainingMs <= 0) return undefined
    try {
      const signal = Number.isFinite(remainingMs) ? AbortSignal.timeout(Math.ceil(remainingMs)) : undefined
      return await this.rows<T>(query, budgetSettings(remainingMs), signal)
    } catch (err) {
      if (err instanceof SearchBudgetSpent) return undefined
      throw err
    }
  }

  /** Async without an await: a batch that cannot be written out throws as a rejection, and `spans` is not kept. */
  async writeSpans(spans: readonly IngestSpan[]): Promise<WriteResult> {
    const batch = this.newBatch(spans.length * ROW_BYTES_PER_SPAN)
    for (const span of spans) batch.push(span)
    return batch.finish()
  }

  spanBatch(requestBytes: number): SpanBatchWriter {
    return this.newBatch(requestBytes * ROW_BYTES_PER_REQUEST_BYTE)
  }

  private newBatch(expectedBytes: number): SpanRowsBatch {
    return new SpanRowsBatch(this.spanRows, expectedBytes, (batch) => {
      // Keeps a search's bounds fresh while spans arrive (storedSpanTimes).
      this.askStoredSpanTimes()
      return this.spanGroups.submit(batch, batch.ends.length)
    })
  }

  /**
   * The batches of one group (clickhouse-write-groups.ts) as one lookup of the
   * spans already stored, one INSERT and the calls they take part in. A span
   * sent twice in the group is written once, as last sent, counted for the
   * batch that sent it last.
   */
  private async writeSpanGroup(batches: readonly PreparedSpans[]): Promise<GroupOutcome<WriteResult>[]> {
    const traceIds = new Set<string>()
    const spanIds = new Set<string>()
    let spans = 0
    for (const batch of batches) {
      let previousTraceId = ''
      for (let i = 0; i < batch.traceIds.length; i++) {
        // A trace's spans mostly come one after the other: the set hashes each trace id once.
        const traceId = batch.traceIds[i]!
        if (traceId !== previousTraceId) traceIds.add((previousTraceId = traceId))
        spanIds.add(batch.spanIds[i]!)
      }
      spans += batch.traceIds.length
    }
    const traceList = sqlHexList(traceIds)
    const spanIdList = sqlHexList(spanIds)
    const lookup = `SELECT trace_id, span_id FROM spans WHERE trace_id IN (${traceList}) AND span_id IN (${spanIdList})`
    const known = await this.ingestRequest(() => this.ingest.rows<{ trace_id: string; span_id: string }>(lookup, querySize(lookup)))
    // Usually every span id of the group is new and none is stored yet: then every row is written as is.
    const written = spanIds.size === spans && known.length === 0 ? undefined : spansToWrite(batches, known)
    // The rows to write, as runs of each batch's buffer (usually the whole buffer: no copy).
    const chunks: Buffer[] = []
    const outcomes: GroupOutcome<WriteResult>[] = []
    let n = 0
    for (const batch of batches) {
      if (written === undefined) {
        chunks.push(batch.lines)
        outcomes.push({ ok: true, value: { stored: batch.traceIds.length } })
        continue
      }
      let stored = 0
      let runStart = -1
      let lineStart = 0
      for (let i = 0; i < batch.traceIds.length; i++, n++) {
        if (written[n] === 1) {
          stored++
          if (runStart < 0) runStart = lineStart
        } else if (runStart >= 0) {
          chunks.push(batch.lines.subarray(runStart, lineStart))
          runStart = -1
        }
        lineStart = batch.ends[i]!
      }
      if (runStart >= 0) chunks.push(batch.lines.subarray(runStart, lineStart))
      outcomes.push({ ok: true, value: { stored } })
    }
    await this.ingestRequest(() => this.ingest.insert('spans', SPAN_INSERT_COLUMNS, chunks))
    // Also for a retried batch whose spans were all stored: the try that stored them may have failed before its calls were.
    const calls = insertCallsStatement(traceList, spanIdList)
    await this.ingestRequest(() => this.ingest.command(calls, querySize(calls)))
    return outcomes
  }

  async writeLogs(logs: readonly IngestLog[]): Promise<WriteResult> {
    if (logs.length === 0) return { stored: 0 }
    // The record id is what a retried batch repeats (content and place in the batch), so the
    // ReplacingMergeTree keeps one copy; seq orders records of one moment as they arrived.
    const seqBase = BigInt(Date.now()) * 1_000_000n
    const body = new TabSeparatedBody(logs.length * ROW_BYTES_PER_LOG)
    for (let i = 0; i < logs.length; i++) {
      const item = logs[i]!
      const log = item.log
      const attributes = JSON.stringify(log.attributes)
      const record = [
        item.timeNs,
        item.observedNs,
        log.severityNumber,
        log.severityText,
        log.body,
        log.traceId,
        log.spanId,
        log.service,
        item.resourceJson,
        item.scope.name,
        item.scope.version,
        attributes,
        item.flags,
        i,
      ].join('\u0000')
      // In the order of LOG_INSERT_COLUMNS.
      body.plain(item.timeNs.toString())
      body.plain(item.observedNs.toString())
      body.plain((seqBase + BigInt(i)).toString())
      body.plain(createHash('sha1').update(record).digest('hex'))
      body.uint(log.severityNumber)
      body.field(log.severityText)
      body.field(log.body)
      body.field(log.traceId)
      body.field(log.spanId)
      body.field(log.service)
      body.field(item.resourceJson)
      body.field(item.scope.name)
      body.field(item.scope.version)
      body.field(attributes)
      body.uint(item.flags)
      body.plain(dayOf(item.timeNs))
      body.endRow()
    }
    return this.logGroups.submit({ rows: body.toKeep(), count: logs.length }, logs.length)
  }

  /** One insert for the log batches of a group (clickhouse-write-groups.ts), as spans are grouped. */
  private async writeLogGroup(batches: readonly PreparedLogs[]): Promise<GroupOutcome<WriteResult>[]> {
    await this.ingestRequest(() =>
      this.ingest.insert(
        'logs',
        LOG_INSERT_COLUMNS,
        batches.map((batch) => batch.rows),
      ),
    )
    return batches.map((batch) => ({ ok: true, value: { stored: batch.count } }))
  }

  async services(): Promise<string[]> {
    return (await this.rows<{ service: string }>('SELECT DISTINCT service FROM operations ORDER BY service')).map((r) => r.service)
  }

  async operations(service: string): Promise<OperationInfo[]> {
    const rows = await this.rows<{ name: string; kind: number }>(
      `SELECT DISTINCT name, kind FROM operations WHERE service = ${sqlString(service)} ORDER BY name, kind`,
    )
    return rows.map((r) => ({ name: r.name, spanKind: (SPAN_KIND_NAMES[Number(r.kind)] ?? 'UNSPECIFIED') as SpanKindName }))
  }

  private resourceOf(json: string): AttributeMap {
    let attrs = this.resources.get(json)
    if (attrs === undefined) {
      attrs = JSON.parse(json) as AttributeMap
      if (this.resources.size > 10_000) this.resources.clear()
      this.resources.set(json, attrs)
    }
    return attrs
  }

  async getTrace(traceId: string): Promise<StoredSpan[]> {
    return (await this.getTraces([traceId]))[0]!
  }

  async getTraces(traceIds: readonly string[]): Promise<StoredSpan[][]> {
    const known = traceIds.filter((id) => HEX_TRACE_ID.test(id))
    const byTrace = new Map<string, StoredSpan[]>()
    if (known.length > 0) {
      const rows = await this.rows<SpanRow>(
        `SELECT ${SPAN_COLUMNS} FROM spans WHERE trace_id IN (${sqlStringList(known)}) ORDER BY trace_id, start_ns, span_id LIMIT 1 BY trace_id, span_id`,
      )
      for (const row of rows) {
        let spans = byTrace.get(row.trace_id)
        if (spans === undefined) byTrace.set(row.trace_id, (spans = []))
        spans.push(this.spanFromRow(row))
      }
    }
    return traceIds.map((id) => byTrace.get(id) ?? [])
  }

  private spanFromRow(row: SpanRow): StoredSpan {
    return storedSpanOf({
      traceId: row.trace_id,
      spanId: row.span_id,
      parentSpanId: row.parent_span_id === '' ? null : row.parent_span_id,
      name: row.name,
      kind: Number(row.kind),
      service: row.service,
      startNs: BigInt(row.start_ns),
      endNs: BigInt(row.end_ns),
      traceState: row.trace_state,
      statusCode: Number(row.status_code),
      statusMessage: row.status_message,
      attributesJson: row.attributes,
      resource: this.resourceOf(row.resource),
      scopeName: row.scope_name,
      scopeVersion: row.scope_version,
      eventsJson: row.events,
      linksJson: row.links,
    })
  }

  private async summarize(traceIds: readonly string[]): Promise<TraceSummary[]> {
    if (traceIds.length === 0) return []
    const rows = await this.rows<{
      trace_id: string
      span_id: string
      parent_span_id: string
      service: string
      name: string
      start_ns: string
      end_ns: string
      status_code: number
    }>(
      `SELECT trace_id, span_id, parent_span_id, service, name, start_ns, end_ns, status_code FROM spans
        WHERE trace_id IN (${sqlStringList(traceIds)}) LIMIT 1 BY trace_id, span_id`,
    )
    const byTrace = new Map<string, typeof rows>()
    for (const row of rows) {
      let list = byTrace.get(row.trace_id)
      if (list === undefined) byTrace.set(row.trace_id, (list = []))
      list.push(row)
    }
    const out: TraceSummary[] = []
    for (const traceId of traceIds) {
      const summary = summarizeTrace(
        traceId,
        (byTrace.get(traceId) ?? []).map((r) => ({
          spanId: r.span_id,
          parentSpanId: r.parent_span_id === '' ? null : r.parent_span_id,
          service: r.service,
          name: r.name,
          startNs: BigInt(r.start_ns),
          endNs: BigInt(r.end_ns),
          error: Number(r.status_code) === 2,
        })),
      )
      if (summary !== undefined) out.push(summary)
    }
    return out
  }

  /** Time range conditions on span_index, for a search and its per-trace subqueries. */
  private static timeRange(query: { startUnixMs?: number; endUnixMs?: number }): string[] {
    const range: string[] = []
    if (query.startUnixMs !== undefined) range.push(`start_ns >= ${sqlUInt(msToNs(query.startUnixMs))}`)
    if (query.endUnixMs !== undefined) range.push(`start_ns <= ${sqlUInt(msToNs(query.endUnixMs))}`)
    return range
  }

  async findTraces(query: TraceQuery): Promise<TraceSearchResult> {
    const { traceIds, incomplete } = await this.findTraceIds(query)
    const traces = (await this.summarize(traceIds)).sort((a, b) => b.startTimeUnixMs - a.startTimeUnixMs)
    return { traces, incomplete }
  }

  async findTraceIds(query: TraceQuery): Promise<TraceIdsResult> {
    const range = ClickHouseTraceStore.timeRange(query)
    const where = [...range]
    if (query.service !== undefined) where.push(`service = ${sqlString(query.service)}`)
    if (query.operation !== undefined) where.push(`name = ${sqlString(query.operation)}`)
    if (query.minDurationMs !== undefined) where.push(`duration_ns >= ${sqlUInt(msToNs(query.minDurationMs))}`)
    if (query.maxDurationMs !== undefined) where.push(`duration_ns <= ${sqlUInt(msToNs(query.maxDurationMs))}`)
    if (query.errorOnly === true) where.push('status_code = 2')
    // Jaeger's rule: every tag holds on the span that matches service/operation/duration.
    for (const { key, value } of query.spanTags ?? []) {
      const alternatives = [pairCondition('attr_keys', 'attr_values', key, value), pairCondition('event_keys', 'event_values', key, value)]
      const derived = derivedTagCondition(key, value)
      if (derived !== undefined)
        alternatives.unshift(`${derived.column} = ${typeof derived.value === 'number' ? sqlUInt(derived.value) : sqlString(derived.value)}`)
      where.push(`(${alternatives.join(' OR ')})`)
    }
    // attr and tracestate hold on any span of the trace (in the search's range): checked in `spans`,
    // by trace id, on the candidates `where` ranks (traceConditionsHold).
    const onAnySpan: SpanCondition[] = []
    for (const { key, value } of query.attributes ?? []) {
      // has() on each array is cheap and lets the pair check (a lambda, slow on 18.16) see few rows.
      onAnySpan.push({
        condition: pairCondition('attr_keys', 'attr_values', key, value),
        likely: `has(attr_keys, ${sqlString(key)}) AND has(attr_values, ${sqlString(value)})`,
      })
    }
    for (const { key, value } of query.traceState ?? []) {
      onAnySpan.push({ condition: `has(splitByChar(',', replaceAll(replaceAll(trace_state, ' ', ''), '\\t', '')), ${sqlString(`${key}=${value}`)})` })
    }
    const budgetMs = query.budgetMs ?? Infinity
    const started = performance.now()
    // As on SQLite, what a search finds before its first look at the clock counts: its first page of
    // candidates runs whatever the budget (bounded by ClickHouse's own 1 s minimum).
    let firstPage = true
    const remainingMs = (): number => (firstPage ? Math.max(1000, budgetMs - (performance.now() - started)) : budgetMs - (performance.now() - started))
    // Searches on ClickHouse do not share the collector's thread; the budget still bounds the wait.
    let found: string[] = []
    const stored = await this.storedSpanTimes()
    const since = Math.max(query.startUnixMs ?? 0, stored.oldestUnixMs)
    for (const lower of searchWindows(since, Math.min(query.endUnixMs ?? Infinity, stored.newestUnixMs))) {
      if (remainingMs() <= 0) break
      const window = lower === undefined ? where : [...where, `start_ns >= ${sqlUInt(msToNs(lower))}`]
      const ranked = async (limit: number, offset: number): Promise<string[] | undefined> =>
        (
          await this.rowsWithin<{ trace_id: string }>(
            `SELECT trace_id, max(start_ns) AS newest FROM span_index ${window.length > 0 ? `WHERE ${window.join(' AND ')}` : ''}
            GROUP BY trace_id ORDER BY newest DESC, trace_id LIMIT ${sqlUInt(offset)}, ${sqlUInt(limit)}`,
            remainingMs(),
          )
        )?.map((r) => r.trace_id)
      if (onAnySpan.length === 0) {
        found = (await ranked(query.limit, 0)) ?? found
        firstPage = false
      } else {
        // Candidates in rank order, a page at a time (each page twice the last), keeping those whose spans
        // meet the conditions: the first `limit` kept are the answer once that many are kept.
        const kept: string[] = []
        let page = Math.max(100, query.limit * 4)
        for (let offset = 0; kept.length < query.limit; offset += page, page = Math.min(page * 2, MAX_CANDIDATES_PER_PAGE)) {
          const candidates = await ranked(page, offset)
          const holding = candidates === undefined || candidates.length === 0 ? [] : await this.traceConditionsHold(candidates, range, onAnySpan, remainingMs())
          // Answered or cut short, the first page has had its time.
          firstPage = false
          if (holding === undefined) break
          kept.push(...holding)
          if (candidates === undefined || candidates.length < page) break
        }
        // Out of budget in a wider window: what the last one found still stands.
        if (kept.length >= found.length) found = kept.slice(0, query.limit)
      }
      if (found.length >= query.limit) break
    }
    return { traceIds: found, incomplete: found.length < query.limit && remainingMs() <= 0 }
  }

  /**
   * Of `candidates` (trace ids in rank order), those with, for each condition, a span in `range` that
   * meets it, in the same order. One read of `spans` by trace id (its order key), rather than a scan
   * of every span of the range for each condition.
   */
  private async traceConditionsHold(
    candidates: readonly string[],
    range: readonly string[],
    conditions: readonly SpanCondition[],
    remainingMs: number,
  ): Promise<string[] | undefined> {
    const anyOf = conditions.map(({ condition, likely }) => (likely === undefined ? condition : `${likely} AND ${condition}`))
    const rows = await this.rowsWithin<{ trace_id: string }>(
      `SELECT trace_id FROM spans PREWHERE trace_id IN (${sqlStringList(candidates)})
        WHERE ${[...range, `(${anyOf.join(' OR ')})`].join(' AND ')}
        GROUP BY trace_id HAVING ${conditions.map(({ condition }) => `max(${condition}) = 1`).join(' AND ')}`,
      remainingMs,
    )
    if (rows === undefined) return undefined
    const kept = new Set(rows.map((r) => r.trace_id))
    return candidates.filter((id) => kept.has(id))
  }

  /**
   * Where a search's windows start and how far back they need go: the newest and the oldest stored
   * span's start (Unix ms). Only a search's cost depends on them, never its answer (any window is
   * exact): stale figures only make a window hold more spans, or a window or two more be tried. The
   * exact figures scan a column of every span (0.3-0.4 s at 10M), so they are asked in the
   * background, at most once a minute, when spans are written or searched, and a search uses the
   * last answer; before the first, now and the oldest day that has a part, from ClickHouse's own
   * bookkeeping.
   */
  private async storedSpanTimes(): Promise<{ oldestUnixMs: number; newestUnixMs: number }> {
    this.askStoredSpanTimes()
    const now = Date.now()
    if (this.storedSpans !== undefined) return { ...this.storedSpans, newestUnixMs: Math.min(this.storedSpans.newestUnixMs, now) }
    const [row] = await this.rows<{ day: string | number }>(
      "SELECT toUInt32(min(min_date)) AS day FROM system.parts WHERE database = currentDatabase() AND table = 'span_index' AND active",
    )
    return { oldestUnixMs: Number(row?.day ?? 0) * 86_400_000, newestUnixMs: now }
  }

  /** Asks for the stored spans' oldest and newest start in the background, unless asked in the last minute. */
  private askStoredSpanTimes(): void {
    const now = Date.now()
    if (now - this.storedSpansAskedAt < 60_000) return
    this.storedSpansAskedAt = now
    this.rows<{ oldest: string; newest: string; spans: string }>('SELECT min(start_ns) AS oldest, max(start_ns) AS newest, count() AS spans FROM span_index')
      .then(([row]) => {
        // None stored yet: nothing to bound with.
        if (row === undefined || row.spans === '0') return
        this.storedSpans = { oldestUnixMs: nanosToMs(BigInt(row.oldest)), newestUnixMs: nanosToMs(BigInt(row.newest)) }
      })
      // Unanswered: asked again a minute later; until then, the last answer or the day bound.
      .catch(() => undefined)
  }

  async findLinksTo(traceId: string, options: { limit: number; budgetMs?: number }): Promise<IncomingLinksResult> {
    if (!HEX_TRACE_ID.test(traceId)) return { links: [], incomplete: false }
    const budgetMs = options.budgetMs ?? Infinity
    const started = performance.now()
    // The links column is JSON text with hex ids: position() finds the candidates, parsing checks them.
    const rows = await this.rows<{ trace_id: string; span_id: string; service: string; name: string; start_ns: string; links: string }>(
      `SELECT trace_id, span_id, service, name, start_ns, links FROM spans
        WHERE links != '' AND position(links, ${sqlString(traceId)}) > 0 AND trace_id != ${sqlString(traceId)}
        ORDER BY start_ns DESC, span_id LIMIT 1 BY trace_id, span_id LIMIT ${sqlUInt(options.limit * 4 + 16)}`,
      budgetSettings(budgetMs),
    )
    const links: IncomingLinksResult['links'] = []
    for (const row of rows) {
      for (const link of JSON.parse(row.links) as StoredSpan['links']) {
        if (link.traceId !== traceId) continue
        links.push({
          traceId: row.trace_id,
          spanId: row.span_id,
          service: row.service,
          name: row.name,
          startTimeUnixMs: nanosToMs(BigInt(row.start_ns)),
          linkedSpanId: link.spanId,
          traceState: link.traceState,
          attributes: link.attributes,
        })
        if (links.length >= options.limit) return { links, incomplete: false }
      }
    }
    return { links, incomplete: performance.now() - started >= budgetMs }
  }

  async findLogs(query: LogQuery): Promise<StoredLog[]> {
    const where: string[] = []
    if (query.traceId !== undefined) where.push(`trace_id = ${sqlString(query.traceId)}`)
    if (query.spanId !== undefined) where.push(HEX_SPAN_ID.test(query.spanId) ? `span_id = ${sqlString(query.spanId)}` : '0')
    if (query.service !== undefined) where.push(`service = ${sqlString(query.service)}`)
    if (query.startUnixMs !== undefined) where.push(`time_ns >= ${sqlUInt(msToNs(query.startUnixMs))}`)
    if (query.endUnixMs !== undefined) where.push(`time_ns <= ${sqlUInt(msToNs(query.endUnixMs))}`)
    if (query.text !== undefined && query.text !== '') where.push(`positionCaseInsensitiveUTF8(body, ${sqlString(query.text)}) > 0`)
    // The logs of one trace come from the table ordered by trace id.
    const table = query.traceId !== undefined ? 'logs_by_trace' : 'logs'
    const dir = query.order === 'asc' ? 'ASC' : 'DESC'
    const rows = await this.rows<LogRow>(
      `SELECT time_ns, observed_ns, severity_number, severity_text, body, trace_id, span_id, service, resource, attributes FROM ${table}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ns ${dir}, seq ${dir} LIMIT 1 BY record_id LIMIT ${sqlUInt(query.limit)}`,
    )
    return rows.map((row) => ({
      timeUnixMs: nanosToMs(BigInt(row.time_ns)),
      observedTimeUnixMs: nanosToMs(BigInt(row.observed_ns)),
      severityText: row.severity_text,
      severityNumber: Number(row.severity_number),
      body: row.body,
      traceId: row.trace_id,
      spanId: row.span_id,
      service: row.service,
      attributes: JSON.parse(row.attributes) as AttributeMap,
      resource: this.resourceOf(row.resource),
    }))
  }

  async dependencies(startUnixMs: number, endUnixMs: number): Promise<DependencyEdge[]> {
    const rows = await this.rows<{ parent: string; child: string; callCount: string; errorCount: string }>(dependenciesQuery(startUnixMs, endUnixMs))
    return rows.map((r) => ({ parent: r.parent, child: r.child, callCount: Number(r.callCount), errorCount: Number(r.errorCount) }))
  }
}
