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
]
