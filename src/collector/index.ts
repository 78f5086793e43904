export { checkObservability, startCollector, DEFAULTS as COLLECTOR_DEFAULTS, DATABASE_FILE, defaultUiDir } from './collector.js'
export type { Collector, CollectorOptions, Observability, ObservabilityOptions } from './collector.js'
export type { CollectorRoute } from './http/route.js'
export { sendJson } from '../http/http-answer.js'
export type { IngestListener } from './receivers/ingest-pipeline.js'
export type { AttributeJson, AttributeMap, StoredLog, StoredSpan } from './model/stored-span.js'
export type {
  DependencyEdge,
  DependencyReader,
  LogQuery,
  LogReader,
  LogWriter,
  RedRollupStore,
  RetentionStore,
  SpanReader,
  SpanWriter,
  TraceQuery,
  TraceStorage,
  TraceSummary,
} from './store/store-roles.js'
export { openSqliteStorage } from './store/sqlite/sqlite-storage.js'
export { applyMigrations } from './store/sqlite/migrations.js'
export type { Migration } from './store/sqlite/migrations.js'
export { findTraceIdInText } from './logs/trace-id-in-text.js'
