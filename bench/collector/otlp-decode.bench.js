#!/usr/bin/env node
// Micro-benchmark of the collector's OTLP/protobuf trace decoding, per span:
// protobufjs' ExportTraceServiceRequest.decode and the walk over its message
// objects (decodeTraceRequest, the path before decode-traces-protobuf.ts)
// against decodeTraceRequestProtobuf, which reads the bytes straight into the
// ingest records. The requests are the collector benchmark's (run.js: SDK
// spans, 512 a batch, encoded by the OTLP proto exporter's serializer). Both
// run in this one process, in alternating rounds (A B A B ...) after 8 of
// each to warm up (protobufjs' path takes several to reach its speed), CPU
// time from process.cpuUsage(), garbage collection included; medians are
// printed. No collection is forced between passes: a forced one slowed both
// paths 2-3x in the passes after it (and its background threads' time lands
// in the next pass). Other work on a shared machine moves CPU time a lot from
// minute to minute: read the ratio of the two, from many rounds.
// Runs the compiled dist/.
//   npm run build && node bench/collector/otlp-decode.bench.js [--batches 64] [--rounds 30]
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { ExportTraceServiceRequest } from '../../dist/collector/otlp/otlp-proto-root.js'
import { decodeTraceRequest } from '../../dist/collector/otlp/decode-traces.js'
import { decodeTraceRequestProtobuf } from '../../dist/collector/otlp/decode-traces-protobuf.js'
import { BATCH, makeBatchSource } from './bench-spans.js'

const { values } = parseArgs({ options: { batches: { type: 'string', default: '64' }, rounds: { type: 'string', default: '30' } } })
const batchCount = Number(values.batches)
const rounds = Number(values.rounds)

const source = makeBatchSource()
const bodies = Array.from({ length: batchCount }, () => Buffer.from(ProtobufTraceSerializer.serializeRequest(source.nextBatch())))
const spans = batchCount * BATCH

const paths = {
  'protobufjs + walk': (body) => decodeTraceRequest(ExportTraceServiceRequest.decode(body)),
  'straight from the wire': (body) => decodeTraceRequestProtobuf(body),
}

for (const body of bodies.slice(0, 4)) {
  if (!isDeepStrictEqual(paths['protobufjs + walk'](body), paths['straight from the wire'](body)))
    throw new Error('the two decoders disagree on a bench request')
}

/** µs of CPU per span for one pass over every body. */
function pass(decode) {
  let kept = 0
  const before = process.cpuUsage()
  for (const body of bodies) kept += decode(body).items.length
  const used = process.cpuUsage(before)
  if (kept !== spans) throw new Error(`decoded ${kept} spans of ${spans}`)
  return (used.user + used.system) / spans
}

// Warm-up: both paths optimized before anything is counted.
for (let i = 0; i < 8; i++) for (const decode of Object.values(paths)) pass(decode)

const times = Object.fromEntries(Object.keys(paths).map((name) => [name, []]))
for (let round = 0; round < rounds; round++) for (const [name, decode] of Object.entries(paths)) times[name].push(pass(decode))

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const bytesPerSpan = bodies.reduce((sum, body) => sum + body.length, 0) / spans
console.log(`${batchCount} requests of ${BATCH} spans (${bytesPerSpan.toFixed(0)} bytes of protobuf per span), ${rounds} alternating rounds`)
for (const [name, list] of Object.entries(times)) {
  console.log(`${name.padEnd(24)} ${median(list).toFixed(2)} µs CPU per span (median; rounds ${list.map((t) => t.toFixed(2)).join(' ')})`)
}
const [before, after] = Object.values(times).map(median)
// Each round's two passes ran back to back, so their ratio is less moved by the machine's drift than the medians'.
const [beforeRounds, afterRounds] = Object.values(times)
const roundRatios = afterRounds.map((t, i) => t / beforeRounds[i])
console.log(
  `straight from the wire / protobufjs + walk: ${(after / before).toFixed(2)} (medians), ${median(roundRatios).toFixed(2)} (median of the rounds' ratios)`,
)
