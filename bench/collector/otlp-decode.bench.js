#!/usr/bin/env node
// Micro-benchmark of the collector's OTLP/protobuf trace decoding, per span:
// protobufjs' ExportTraceServiceRequest.decode and the walk over its message
// objects (decodeTraceRequest, the path before decode-traces-protobuf.ts)
// against decodeTraceRequestProtobuf, which reads the bytes straight into the
// ingest records. The requests are the collector benchmark's (run.js: SDK
// spans, 512 a batch, encoded by the OTLP proto exporter's serializer), timed
// in alternating rounds (per-span-rounds.js; protobufjs' path takes several
// rounds to reach its speed). Runs the compiled dist/.
//   npm run build && node bench/collector/otlp-decode.bench.js [--batches 64] [--rounds 30]
import { isDeepStrictEqual } from 'node:util'
import { ExportTraceServiceRequest } from '../../dist/collector/otlp/otlp-proto-root.js'
import { decodeTraceRequest } from '../../dist/collector/otlp/decode-traces.js'
import { decodeTraceRequestProtobuf } from '../../dist/collector/otlp/decode-traces-protobuf.js'
import { benchRequests, timeAlternating } from './per-span-rounds.js'

const requests = benchRequests()

/** A decoder, checked to keep every span of the request. */
const keepingAll = (decode) => (body) => {
  const kept = decode(body).items.length
  if (kept !== 512) throw new Error(`decoded ${kept} spans of 512`)
}
const decoders = {
  'protobufjs + walk': (body) => decodeTraceRequest(ExportTraceServiceRequest.decode(body)),
  'straight from the wire': (body) => decodeTraceRequestProtobuf(body),
}

for (const body of requests.bodies.slice(0, 4)) {
  if (!isDeepStrictEqual(decoders['protobufjs + walk'](body), decoders['straight from the wire'](body)))
    throw new Error('the two decoders disagree on a bench request')
}

timeAlternating(requests, Object.fromEntries(Object.entries(decoders).map(([name, decode]) => [name, keepingAll(decode)])))
