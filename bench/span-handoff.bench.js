#!/usr/bin/env node
// Micro-benchmark: what handing one batch of spans to an export worker costs,
// on each side of the thread boundary. Structured clone of the SpanRecord
// array (what postMessage does with plain objects) against the packed form
// (src/export/span-batch-pack.ts: one string + one transferred Float64Array).
// "send" is the main thread's cost (packing included), "receive" the
// worker's (deserialising, unpacking included). Runs the compiled dist/.
//   npm run build && node bench/span-handoff.bench.js [--batch 512] [--rounds 100]
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { SpanBatchPacker, unpackSpanBatch } from '../dist/export/span-batch-pack.js'

const { values } = parseArgs({ options: { batch: { type: 'string', default: '512' }, rounds: { type: 'string', default: '100' } } })
const batchSize = Number(values.batch)
const rounds = Number(values.rounds)

/** A span as src/proxy/span-builder.ts builds it for a plain GET. */
function span(i) {
  const start = Date.now() + Math.random()
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: randomBytes(8).toString('hex'),
    traceFlags: 1,
    traceState: '',
    name: 'GET /users/:id',
    kind: 2,
    startUnixMs: start,
    endUnixMs: start + 3.25,
    statusCode: 0,
    statusMessage: '',
    attributes: {
      'http.request.method': 'GET',
      'url.path': `/users/${i}`,
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'server.address': 'users.svc',
      'server.port': 8080,
      'client.address': '10.1.2.3',
      'network.peer.address': '10.1.2.3',
      'network.peer.port': 51234 + (i % 1000),
      'network.protocol.version': '1.1',
      'user_agent.original': 'curl/8.5.0',
      'http.request.body.size': 0,
      'http.response.body.size': 1234,
      'http.response.status_code': 200,
      'tracecar.request_id': randomBytes(16).toString('hex'),
    },
    events: [
      { name: 'upstream.connection_ready', timeUnixMs: start + 0.05 },
      { name: 'upstream.request_sent', timeUnixMs: start + 0.1 },
      { name: 'upstream.first_byte', timeUnixMs: start + 3 },
      { name: 'response.finished', timeUnixMs: start + 3.25 },
    ],
    links: [],
  }
}
// Fresh batches, as in the proxy (strings not yet flattened or shared between rounds).
const batches = Array.from({ length: 8 }, () => Array.from({ length: batchSize }, (_, i) => span(i)))
const packer = new SpanBatchPacker()

const candidates = {
  'structured clone of SpanRecord[]': {
    send: (port, batch) => port.postMessage({ signal: 'traces', items: batch }),
    receive: (message) => message.items,
  },
  'packed, buffer transferred': {
    send: (port, batch) => {
      const packed = packer.pack(batch)
      port.postMessage({ signal: 'traces', packed }, [packed.numbers.buffer])
    },
    receive: (message) => unpackSpanBatch(message.packed),
  },
}

// CPU time (getrusage), not wall time: on a shared machine being descheduled
// would otherwise count. All sends first, then all receives, so each side is
// timed in bulk.
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
console.log(`batch of ${batchSize} spans, ${rounds} rounds, node ${process.version}; CPU time per span`)
for (let repeat = 0; repeat < 3; repeat++) {
  for (const [name, { send, receive }] of Object.entries(candidates)) {
    const { port1, port2 } = new MessageChannel()
    for (let round = 0; round < 20; round++) receive(receiveMessageOnPort((send(port1, batches[round % batches.length]), port2)).message) // warm-up
    const t0 = cpuMs()
    for (let round = 0; round < rounds; round++) send(port1, batches[round % batches.length])
    const t1 = cpuMs()
    for (let round = 0; round < rounds; round++) {
      const spans = receive(receiveMessageOnPort(port2).message)
      if (spans.length !== batchSize) throw new Error(`${name}: got ${spans.length} spans back`)
    }
    const t2 = cpuMs()
    const perSpan = (ms) => ((ms * 1000) / rounds / batchSize).toFixed(2)
    console.log(`${name.padEnd(34)} send (main thread) ${perSpan(t1 - t0)} µs/span   receive (worker) ${perSpan(t2 - t1)} µs/span`)
    port1.close()
  }
}
