/**
 * The store behind the receivers and the query API (Jaeger's span
 * writer/reader split, in one small interface). A second backend is a new
 * folder implementing this; receivers and the API never see SQL.
 */
import type { IngestLog } from '../otlp/decode-logs.js'
import type { IngestSpan } from '../otlp/decode-traces.js'
import type { StoredLog, StoredSpan } from '../model/stored-span.js'
import type { DependencyEdge, IncomingLink, Operation, TraceSummary } from '../../query-api/query-api-types.js'

export type { DependencyEdge, IncomingLink, TraceSummary } from '../../query-api/query-api-types.js'
/** A service's operation: its span name and kind. */
export type OperationInfo = Operation

export interface WriteResult {
  /** Records stored by this call (a span already stored, e.g. a retried batch, is not stored twice). */
  stored: number
}

export interface TraceQuery {
  service?: string
  operation?: string
  /** Unix ms, inclusive, on span start. */
  startUnixMs?: number
  endUnixMs?: number
  /** On the duration of a span matching service/operation (Jaeger's rule). */
  minDurationMs?: number
  maxDurationMs?: number
  /** Only traces where a matching span has status ERROR. */
  errorOnly?: boolean
  /** key=value on span or resource attributes of any span of the trace. */
  attributes?: Array<{ key: string; value: string }>
  /**
   * key=value that must all hold on the span matching service/operation/duration
   * (Jaeger's tag search): each is a span attribute, a resource attribute, an
   * attribute of one of the span's events (or `event` = an event's name), or a
   * tag Jaeger derives from the span: `span.kind` (client, server, ...),
   * `error=true`, `otel.status_code`, `otel.status_description`,
   * `otel.scope.name`, `otel.scope.version`, `w3c.tracestate`.
   */
  spanTags?: Array<{ key: string; value: string }>
  /** key=value list members of any span's W3C tracestate. */
  traceState?: Array<{ key: string; value: string }>
  limit: number
  /**
   * Longest the search may run, in ms. Queries are synchronous and share the
   * thread with ingest, so a search whose filters match almost nothing stops
   * here and returns what it found (`incomplete`), rather than stall ingest.
   */
  budgetMs?: number
}

export interface TraceSearchResult {
  traces: TraceSummary[]
  /** True when the time budget ran out before `limit` traces were found or the candidates were exhausted. */
  incomplete: boolean
}

export interface IncomingLinksResult {
  /** newest linking span first */
  links: IncomingLink[]
  /** True when the time budget ran out before `limit` links were found or every linking span was read. */
  incomplete: boolean
}

export interface LogQuery {
  service?: string
  traceId?: string
  spanId?: string
  /** Case-insensitive substring of the body. */
  text?: string
  startUnixMs?: number
  endUnixMs?: number
  order: 'asc' | 'desc'
  limit: number
}


export interface RetentionStep {
  /** Records removed by this step. */
  deleted: number
}

export interface TraceStore {
  /** Stores one received batch atomically and durably, or throws (nothing stored). */
  writeSpans(spans: readonly IngestSpan[]): WriteResult
  writeLogs(logs: readonly IngestLog[]): WriteResult

  services(): string[]
  operations(service: string): OperationInfo[]
  findTraces(query: TraceQuery): TraceSearchResult
  /** Spans of one trace in storage order, or [] when unknown. */
  getTrace(traceId: string): StoredSpan[]
  summarize(traceIds: readonly string[]): TraceSummary[]
  /**
   * Spans of other traces with a link to `traceId`, newest first, at most `limit`; stops after
   * `budgetMs` (ingest shares the thread) with what it found and `incomplete`.
   */
  findLinksTo(traceId: string, options: { limit: number; budgetMs?: number }): IncomingLinksResult
  findLogs(query: LogQuery): StoredLog[]
  dependencies(startUnixMs: number, endUnixMs: number): DependencyEdge[]

  /** Deletes at most `maxRecords` spans and logs older than the cutoff. */
  deleteOlderThan(cutoffUnixMs: number, maxRecords: number): RetentionStep
  /** Deletes at most `maxRecords` of the oldest spans and logs. */
  deleteOldest(maxRecords: number): RetentionStep
  /** Forgets services that no longer have any span (after retention), so they leave the service list. */
  pruneServices(): number
  /** Bytes the stored data occupies (free pages excluded). */
  usedBytes(): number
  /** Hands free space back to the file system, a little at a time. */
  reclaimSpace(maxPages: number): void

  close(): void
}
