/**
 * The trace store's tables. Ids are BLOBs (half the size of hex, and
 * protobuf hands us bytes); times are integer nanoseconds, exact as sent;
 * attributes, events and links are JSON text (SQLite's JSON functions search
 * them; a separate attribute table indexed on (key, value) measured ~7x the
 * write CPU per span and 3x the space, see bench/README.md).
 * Resources repeat on every span of a process, so they are stored once.
 */
import type { Migration } from './migrations.js'

export const TRACE_STORE_MODULE = 'trace-store'

export const TRACE_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'spans, logs, resources, operations',
    up(db) {
      db.exec(`
        CREATE TABLE resources (
          id INTEGER PRIMARY KEY,
          service TEXT NOT NULL,
          attributes TEXT NOT NULL UNIQUE
        );
        CREATE TABLE spans (
          trace_id BLOB NOT NULL,
          span_id BLOB NOT NULL,
          parent_span_id BLOB,
          service TEXT NOT NULL,
          name TEXT NOT NULL,
          kind INTEGER NOT NULL,
          start_ns INTEGER NOT NULL,
          end_ns INTEGER NOT NULL,
          status_code INTEGER NOT NULL,
          status_message TEXT NOT NULL,
          trace_state TEXT NOT NULL,
          flags INTEGER NOT NULL,
          resource_id INTEGER NOT NULL,
          scope_name TEXT NOT NULL,
          scope_version TEXT NOT NULL,
          attributes TEXT NOT NULL,
          events TEXT,
          links TEXT
        );
        CREATE UNIQUE INDEX spans_by_trace ON spans (trace_id, span_id);
        CREATE INDEX spans_by_service_start ON spans (service, start_ns);
        CREATE INDEX spans_by_start ON spans (start_ns);
        CREATE TABLE operations (
          service TEXT NOT NULL,
          name TEXT NOT NULL,
          kind INTEGER NOT NULL,
          PRIMARY KEY (service, name, kind)
        ) WITHOUT ROWID;
        CREATE TABLE logs (
          id INTEGER PRIMARY KEY,
          time_ns INTEGER NOT NULL,
          observed_ns INTEGER NOT NULL,
          severity_number INTEGER NOT NULL,
          severity_text TEXT NOT NULL,
          body TEXT NOT NULL,
          trace_id BLOB,
          span_id BLOB,
          service TEXT NOT NULL,
          resource_id INTEGER NOT NULL,
          scope_name TEXT NOT NULL,
          scope_version TEXT NOT NULL,
          attributes TEXT NOT NULL,
          flags INTEGER NOT NULL
        );
        CREATE INDEX logs_by_trace ON logs (trace_id, time_ns) WHERE trace_id IS NOT NULL;
        CREATE INDEX logs_by_time ON logs (time_ns);
        CREATE INDEX logs_by_service_time ON logs (service, time_ns);
      `)
    },
  },
  {
    version: 2,
    description: 'spans that carry links, by start (which traces link to a trace)',
    up(db) {
      // Partial: only spans with links have an entry, so spans without links (nearly all)
      // cost nothing more to write, and "who links to trace X" scans only the spans that link.
      db.exec('CREATE INDEX spans_with_links ON spans (start_ns) WHERE links IS NOT NULL')
    },
  },
  {
    version: 3,
    description: 'calls between services counted at ingest, per hour, minute and second; spans stored before their parent marked',
    up(db) {
      // parent_missing = 1: the span was stored while its parent span was not (another batch brings it later,
      // or never); the partial index holds only those, so a parent finds its early children without an index
      // entry for every span. dependency_calls: calls by the child's start bucket (sqlite-dependency-counts.ts).
      db.exec(`
        ALTER TABLE spans ADD COLUMN parent_missing INTEGER;
        CREATE INDEX spans_awaiting_parent ON spans (trace_id, parent_span_id) WHERE parent_missing = 1;
        CREATE TABLE dependency_calls (
          resolution_s INTEGER NOT NULL,
          bucket_s INTEGER NOT NULL,
          parent TEXT NOT NULL,
          child TEXT NOT NULL,
          calls INTEGER NOT NULL,
          errors INTEGER NOT NULL,
          PRIMARY KEY (resolution_s, bucket_s, parent, child)
        ) WITHOUT ROWID;
        UPDATE spans SET parent_missing = 1 WHERE parent_span_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = spans.trace_id AND p.span_id = spans.parent_span_id);
        INSERT INTO dependency_calls (resolution_s, bucket_s, parent, child, calls, errors)
          SELECT 1, c.start_ns / 1000000000, p.service, c.service, COUNT(*), SUM(c.status_code = 2)
          FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
          WHERE c.parent_span_id IS NOT NULL AND p.service <> c.service
          GROUP BY 2, 3, 4;
        INSERT INTO dependency_calls (resolution_s, bucket_s, parent, child, calls, errors)
          SELECT 60, bucket_s / 60 * 60, parent, child, SUM(calls), SUM(errors) FROM dependency_calls WHERE resolution_s = 1 GROUP BY 2, 3, 4;
        INSERT INTO dependency_calls (resolution_s, bucket_s, parent, child, calls, errors)
          SELECT 3600, bucket_s / 3600 * 3600, parent, child, SUM(calls), SUM(errors) FROM dependency_calls WHERE resolution_s = 60 GROUP BY 2, 3, 4;
      `)
    },
  },
  {
    version: 4,
    description: 'spans no longer indexed by start alone',
    up(db) {
      // Spans that arrive out of time order put their entries at random places in every index on start_ns,
      // and each page touched costs a whole page in the WAL and again at the checkpoint: one such index
      // fewer is ~10 % of the collector's CPU then. What walked it (a search without a service, retention,
      // dependency counts at a window's ends) walks spans_by_service_start per service (spans-in-start-order.ts).
      db.exec('DROP INDEX IF EXISTS spans_by_start')
    },
  },
]
