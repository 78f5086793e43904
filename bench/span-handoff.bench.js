#!/usr/bin/env node
// Micro-benchmark: what handing one batch of spans to a worker costs the main
// thread. Compares structured clone (what piscina's postMessage does, and what
// the exporter uses) with packing the batch into one transferable buffer
// (JSON text + TextEncoder, and v8.serialize, as stand-ins for a custom packer).
//   node bench/span-handoff.bench.js [--batch 512] [--rounds 400]
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { serialize } from 'node:v8'
import { MessageChannel } from 'node:worker_threads'

const { values } = parseArgs({ options: { batch: { type: 'string', default: '512' }, rounds: { type: 'string', default: '400' } } })
const batchSize = Number(values.batch)
const rounds = Number(values.rounds)

function span(i) {
  const start = Date.now() + Math.random()
  return {
    traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), parentSpanId: randomBytes(8).toString('hex'),
    traceFlags: 1, traceState: '', name: 'GET /users/:id', kind: 2, startUnixMs: start, endUnixMs: start + 3.25,
    statusCode: 0, statusMessage: '',
    attributes: {
      'http.request.method': 'GET', 'url.path': `/users/${i}`, 'http.route': '/users/:id', 'http.response.status_code': 200,
      'server.address': 'users.svc', 'server.port': 8080, 'client.address': '10.1.2.3', 'user_agent.original': 'curl/8.5.0',
      'network.protocol.version': '1.1', 'http.response.body.size': 1234,
    },
    events: [], links: [],
  }
}
const batch = Array.from({ length: batchSize }, (_, i) => span(i))
const encoder = new TextEncoder()

// postMessage serialises on the sender and deserialises on the receiver; only
// the first half is the main thread's cost. structuredClone does both halves.
const { port1, port2 } = new MessageChannel()
port2.unref()
const candidates = {
  'postMessage (structured clone)': () => port1.postMessage({ signal: 'traces', items: batch }),
  'structuredClone (both halves)': () => structuredClone({ signal: 'traces', items: batch }),
  'JSON + TextEncoder -> transfer': () => encoder.encode(JSON.stringify(batch)).buffer,
  'v8.serialize -> transfer': () => serialize(batch).buffer,
}
for (const [name, fn] of Object.entries(candidates)) {
  for (let i = 0; i < 50; i++) fn() // warm-up
  const t0 = performance.now()
  for (let i = 0; i < rounds; i++) fn()
  const perBatchMs = (performance.now() - t0) / rounds
  console.log(`${name.padEnd(32)} ${perBatchMs.toFixed(3)} ms/batch  ${((perBatchMs * 1000) / batchSize).toFixed(2)} µs/span`)
}
port1.close()
