#!/usr/bin/env node
/**
 * Attribute storage, measured: span attributes as one JSON column (what the
 * store does; searched with json_extract) versus an extra span_attributes
 * (key, value, trace_id) table indexed on (key, value, trace_id), which would
 * make attribute search an index lookup. Raw better-sqlite3 with the store's
 * span schema, WAL, synchronous=FULL, 512-span transactions, 8 attributes per
 * span (one of them unique per span, like url.path).
 *
 *   node bench/collector/attribute-storage.bench.js [json|table] [batches=300]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
const variant = process.argv[2]
const NB = Number(process.argv[3] ?? 300)
const dir = mkdtempSync(join(tmpdir(), 'tracecar-attr-bench-'))
const db = new Database(join(dir, 'a.db'))
db.pragma('journal_mode=WAL')
db.pragma('synchronous=FULL')
db.pragma('cache_size=-65536')
db.exec(`CREATE TABLE spans (trace_id BLOB NOT NULL, span_id BLOB NOT NULL, parent_span_id BLOB, service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, status_code INTEGER NOT NULL, status_message TEXT NOT NULL, trace_state TEXT NOT NULL, flags INTEGER NOT NULL, resource_id INTEGER NOT NULL, scope_name TEXT NOT NULL, scope_version TEXT NOT NULL, attributes TEXT NOT NULL, events TEXT, links TEXT);
CREATE UNIQUE INDEX a ON spans (trace_id, span_id); CREATE INDEX b ON spans (service, start_ns); CREATE INDEX c ON spans (start_ns);
CREATE TABLE span_attributes (key TEXT NOT NULL, value TEXT NOT NULL, trace_id BLOB NOT NULL); CREATE INDEX d ON span_attributes (key, value, trace_id);`)
const st = db.prepare(`INSERT OR IGNORE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
const sa = db.prepare('INSERT INTO span_attributes VALUES (?, ?, ?)')
const attrObj = {
  'http.request.method': 'GET',
  'url.path': '/api/items/1',
  'http.response.status_code': 200,
  'server.address': 'checkout',
  'server.port': 8080,
  'network.peer.address': '10.0.0.1',
  'user_agent.original': 'bench/1.0',
  'http.route': '/api/items/:id',
}
let t = 1795624610929000000n
const tx = db.transaction((batch) => {
  for (const r of batch) {
    st.run(...r)
    if (variant === 'table') for (const k in attrObj) sa.run(k, String(k === 'url.path' ? r[1].toString('hex') : attrObj[k]), r[0])
  }
})
let cpu = 0
for (let b = 0; b < NB; b++) {
  const batch = []
  let tid
  for (let i = 0; i < 512; i++) {
    if (i % 8 === 0) tid = randomBytes(16)
    t += 1000n
    batch.push([
      tid,
      randomBytes(8),
      randomBytes(8),
      'svc' + (b % 8),
      'GET /x',
      2,
      t,
      t + 5000n,
      0,
      '',
      '',
      1,
      1,
      'bench',
      '',
      JSON.stringify(attrObj),
      null,
      null,
    ])
  }
  const c = process.cpuUsage()
  tx(batch)
  const u = process.cpuUsage(c)
  cpu += u.user + u.system
}
console.log(variant, 'write us/span', (cpu / NB / 512).toFixed(2), 'db MB', ((db.pragma('page_count', { simple: true }) * 4096) / 1e6).toFixed(0))
db.close()
rmSync(dir, { recursive: true, force: true })
