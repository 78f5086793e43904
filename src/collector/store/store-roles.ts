/**
 * The store as small roles, the way Jaeger's storage is split (a span
 * writer, a span reader, a dependency reader, ...): each part of the
 * collector is handed only the roles it uses, and a backend is a folder that
 * builds a `TraceStorage` (SQLite under sqlite/, ClickHouse under
 * clickhouse/). Every method returns a promise: the embedded store answers
 * at once, a network store when its server has.
 *
 * No implementation hands its database handle to another part: the RED
 * rollups' tables, too, are behind a role.
 */
import type { IngestLog } from '../otlp/decode-logs.js'
import type { IngestSpan } from '../otlp/decode-traces.js'
import type { RecordSink, Rejections } from '../otlp/otlp-request-walk.js'
import type { MeasuredSpan } from '../metrics/measured-span.js'
import type { StoredLog, StoredSpan } from '../model/stored-span.js'
import type { RedCell, RedCellUpdate } from '../metrics/red-rollup.js'
import type { DependencyEdge, IncomingLink, Operation, TraceSummary } from '../../query-api/query-api-types.js'
import type { TraceColumns } from './trace-columns.js'

export type { DependencyEdge, IncomingLink, TraceSummary } from '../../query-api/query-api-types.js'
export type { TraceColumns } from './trace-columns.js'
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

export interface TraceIdsResult {
  traceIds: string[]
  /** As in TraceSearchResult. */
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

/**
 * Stores received spans. Resolves only after the batch is durably stored
 * (its transaction committed, or the database acknowledged the insert);
 * rejects with nothing of the batch visible otherwise. A batch stored again
 * (an exporter's retry) does not store its spans twice.
 */
export interface SpanWriter {
  writeSpans(spans: readonly IngestSpan[]): Promise<WriteResult>
  /**
   * A batch given one span at a time as it is decoded, for a store that can
   * write each down at once and keep none of the decoded spans (optional;
   * the same contract as writeSpans once `finish` is called). A batch whose
   * request turns out malformed is dropped unfinished. `requestBytes`: the
   * size of the protobuf request the spans come from (room to set aside).
   */
  spanBatch?(requestBytes: number): SpanBatchWriter
}

/** One batch of a SpanWriter's spanBatch. */
export interface SpanBatchWriter {
  push(span: IngestSpan): void
  /**
   * Optional, for a store that writes what it needs of a span straight from
   * its protobuf bytes: takes a whole OTLP/protobuf request instead of its
   * decoded spans (the same spans kept, rejections and reasons as
   * decodeTraceRequestProtobufInto, which it throws as), and gives `measured`
   * what RED reads of each span taken. `taken`: the spans taken.
   */
  takeProtobuf?(body: Buffer, measured: RecordSink<MeasuredSpan> | undefined): Rejections & { taken: number }
  /** Stores the batch: writeSpans' result for its spans. Called at most once. */
  finish(): Promise<WriteResult>
}

/** Stores received log records, with the same contract as SpanWriter. */
export interface LogWriter {
  writeLogs(logs: readonly IngestLog[]): Promise<WriteResult>
}

export interface SpanReader {
  services(): Promise<string[]>
  operations(service: string): Promise<OperationInfo[]>
  findTraces(query: TraceQuery): Promise<TraceSearchResult>
  /**
   * Optional, for a store where each read is a round trip: what `findTraces` finds, as trace ids in
   * its rank order, without reading the traces to summarize them; for a caller that reads them
   * whole anyway (`getTraces`). Without it, the ids of `findTraces`' summaries.
   */
  findTraceIds?(query: TraceQuery): Promise<TraceIdsResult>
  /** Spans of one trace in start order, or [] when unknown. */
  getTrace(traceId: string): Promise<StoredSpan[]>
  /**
   * Optional, for a store where each read is a round trip: the spans of several traces in one
   * read, each trace's in start order, in the order of `traceIds` ([] for an unknown one).
   * Without it, `getTrace` for each.
   */
  getTraces?(traceIds: readonly string[]): Promise<StoredSpan[][]>
  /**
   * Optional, for a store that can read less than whole spans: a trace's spans as columns
   * (`TraceColumns`, in any order; undefined when unknown), with of the attributes only where
   * a call went: what the UI's compact trace needs (a 100,000-span trace is read without an
   * object or an attribute map per span). Without it, the compact trace is made from `getTrace`.
   */
  getTraceColumns?(traceId: string): Promise<TraceColumns | undefined>
  /** Optional: one span of a trace, or undefined. Without it, the span is looked up in `getTrace`. */
  getSpan?(traceId: string, spanId: string): Promise<StoredSpan | undefined>
  /**
   * Spans of other traces with a link to `traceId`, newest first, at most `limit`; stops after
   * `budgetMs` with what it found and `incomplete`.
   */
  findLinksTo(traceId: string, options: { limit: number; budgetMs?: number }): Promise<IncomingLinksResult>
}

export interface LogReader {
  findLogs(query: LogQuery): Promise<StoredLog[]>
}

export interface DependencyReader {
  /**
   * Calls between services (a span whose parent span is of another service) by child span start in [start, end],
   * ordered by parent, then child. Counted as spans are stored, so any window up to the API's 31 days is one
   * short query, also on the collector's own thread.
   */
  dependencies(startUnixMs: number, endUnixMs: number): Promise<DependencyEdge[]>
}

export interface RollupFilter {
  service?: string
  operation?: string
  spanKind?: string
}

/**
 * The RED rollups (metrics/red-rollup.ts): cells per resolution, time bucket,
 * service, operation, span kind and status class. Several collectors may
 * merge into one store: a cell read back is the sum of every merge into it.
 */
export interface RedRollupStore {
  /** Adds cells to what is stored (one transaction, or one insert). */
  merge(cells: readonly RedCellUpdate[]): Promise<void>
  /** Cells of one resolution whose bucket starts in [startMs, endMs), one per key and bucket. */
  cells(resolutionMs: number, startMs: number, endMs: number, filter?: RollupFilter): Promise<RedCell[]>
  /** The oldest bucket start kept at a resolution, or undefined when none. */
  oldestBucketMs(resolutionMs: number): Promise<number | undefined>
  /** Deletes cells of a resolution older than the cutoff; resolves with how many (when the store knows). */
  deleteOlderThan(resolutionMs: number, cutoffMs: number): Promise<number>
}

/** Retention done by the collector, a small step at a time (a store that expires data itself has none). */
export interface RetentionStore {
  /** Deletes at most `maxRecords` spans and logs older than the cutoff. */
  deleteOlderThan(cutoffUnixMs: number, maxRecords: number): Promise<RetentionStep>
  /** Deletes at most `maxRecords` of the oldest spans and logs. */
  deleteOldest(maxRecords: number): Promise<RetentionStep>
  /** Forgets services that no longer have any span (after retention), so they leave the service list. */
  pruneServices(): Promise<number>
  /** Bytes the stored data occupies (free space excluded). */
  usedBytes(): Promise<number>
  /** Hands free space back to the file system, a little at a time. */
  reclaimSpace(maxPages: number): Promise<void>
}

/** What a backend hands out: one object per role, and a close for the whole. */
export interface TraceStorage {
  /** One line naming the backend and where it keeps its data, for the start-up log. */
  readonly description: string
  readonly spanWriter: SpanWriter
  readonly spanReader: SpanReader
  readonly logWriter: LogWriter
  readonly logReader: LogReader
  readonly dependencyReader: DependencyReader
  readonly redRollups: RedRollupStore
  /** undefined when the database expires old data by itself. */
  readonly retention: RetentionStore | undefined
  close(): Promise<void>
}
