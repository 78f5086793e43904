#!/usr/bin/env node
// Micro-benchmark of what exporting costs per span: OTLP protobuf encoding
// (OpenTelemetry's otlp-transformer vs tracecar's hand-written encoder, from
// records, and the proxy's own path: an Exchange written straight into a
// batch, as the main thread does it) and gzip at several levels (what the
// export worker does), on spans shaped like the proxy's real spans (15
// attributes, 4 timing events). Runs the compiled dist/.
//   npm run build && node bench/otlp-encode.bench.js [--batch 512] [--rounds 200]
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { OtlpRequestFrame } from '../dist/export/otlp-proto-batch.js'
import { ProtoSpanBatch, TraceProtoEncoder } from '../dist/export/otlp-proto-encode.js'
import { encodeTraceRequest } from '../dist/export/otlp-trace-encode.js'
import { Exchange } from '../dist/proxy/exchange.js'
import { writeExchangeSpan } from '../dist/proxy/span-builder.js'

const { values } = parseArgs({ options: { batch: { type: 'string', default: '512' }, rounds: { type: 'string', default: '200' } } })
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
const batch = Array.from({ length: batchSize }, (_, i) => span(i))
const resource = { 'service.name': 'checkout', 'service.instance.id': randomBytes(16).toString('hex'), 'host.name': 'bench' }
const scope = { name: 'tracecar', version: '0.1.0' }
const encoder = new TraceProtoEncoder({ resource, scope })

/** The same requests as exchanges, the way the proxy holds them when they end. */
const exchanges = batch.map((s) => {
  const ex = new Exchange(s.startUnixMs)
  Object.assign(ex, {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    traceFlags: 1,
    sampled: true,
    method: 'GET',
    target: s.attributes['url.path'],
    path: s.attributes['url.path'],
    route: '/users/:id',
    host: 'users.svc',
    serverPort: 8080,
    clientAddress: '10.1.2.3',
    peerAddress: '10.1.2.3',
    peerPort: s.attributes['network.peer.port'],
    userAgent: 'curl/8.5.0',
    requestId: s.attributes['tracecar.request_id'],
    statusCode: 200,
    requestBodyBytes: 0,
    responseBodyBytes: 1234,
    upstreamConnectedUnixMs: s.events[0].timeUnixMs,
    requestSentUnixMs: s.events[1].timeUnixMs,
    firstByteUnixMs: s.events[2].timeUnixMs,
    endUnixMs: s.endUnixMs,
  })
  return ex
})
const frame = new OtlpRequestFrame({ resource, scope })
function writeExchanges() {
  const open = new ProtoSpanBatch(frame, 512 * 1024)
  for (const ex of exchanges) {
    writeExchangeSpan(ex, open.sink)
    open.count++
  }
  const sealed = open.seal()
  return { length: sealed.byteLength }
}

function time(name, fn) {
  for (let i = 0; i < Math.max(10, rounds / 10); i++) fn() // warm-up
  const t0 = performance.now()
  let out
  for (let i = 0; i < rounds; i++) out = fn()
  const perBatchMs = (performance.now() - t0) / rounds
  const size = out === undefined ? '' : `  ${(out.length / batchSize).toFixed(0)} B/span`
  console.log(`${name.padEnd(40)} ${perBatchMs.toFixed(3)} ms/batch  ${((perBatchMs * 1000) / batchSize).toFixed(2)} µs/span${size}`)
  return out
}

console.log(`batch of ${batchSize} spans, ${rounds} rounds, node ${process.version}`)
time('otlp-transformer protobuf', () => encodeTraceRequest(batch, 'http/protobuf', resource, scope))
const body = time('hand-written protobuf', () => encoder.encode(batch))
time('proxy: Exchange -> batch (main thread)', writeExchanges)
time('otlp-transformer JSON', () => encodeTraceRequest(batch, 'http/json', resource, scope))
for (const level of [1, 3, 6]) time(`gzip level ${level}${level === 6 ? ' (zlib default)' : ''}`, () => gzipSync(body, { level }))
