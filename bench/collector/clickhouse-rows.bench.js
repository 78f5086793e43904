#!/usr/bin/env node
// Micro-benchmark of the ClickHouse store's row writing, per span: the spans
// of run.js's requests (bench-spans.js, 512 a request) decoded into span
// objects and each written as a TabSeparated row (SpanRows.write, with what
// RED reads of each span kept), against the rows written straight from the
// protobuf bytes (SpanRowsBatch.takeProtobuf, clickhouse-plain-span.ts), with
// the same RED part. Checks first that both write the same bytes, then times
// them in alternating rounds (per-span-rounds.js). Runs the compiled dist/.
//   npm run build && node bench/collector/clickhouse-rows.bench.js [--batches 64] [--rounds 30]
import { measuredSpanOf } from '../../dist/collector/metrics/measured-span.js'
import { decodeTraceRequestProtobufInto } from '../../dist/collector/otlp/decode-traces-protobuf.js'
import { SpanRows, SpanRowsBatch } from '../../dist/collector/store/clickhouse/clickhouse-span-rows.js'
import { BATCH } from './bench-spans.js'
import { benchRequests, timeAlternating } from './per-span-rounds.js'

const requests = benchRequests()
const rows = new SpanRows()

/** A batch of `body`'s size; `lines()` is what it wrote once finished. */
function batchFor(body) {
  let prepared
  const batch = new SpanRowsBatch(rows, body.length * 4, (p) => {
    prepared = p
    return Promise.resolve({ stored: p.ends.length })
  })
  return { batch, lines: () => (batch.finish(), prepared.lines) }
}

const paths = {
  'decoded, then written': (body) => {
    const { batch, lines } = batchFor(body)
    const measured = []
    decodeTraceRequestProtobufInto(body, {
      push(item) {
        batch.push(item)
        measured.push(measuredSpanOf(item.span))
      },
    })
    return lines
  },
  'from the bytes': (body) => {
    const { batch, lines } = batchFor(body)
    batch.takeProtobuf(body, [])
    if (batch.takenPlain !== BATCH) throw new Error(`${batch.takenPlain} of ${BATCH} spans written from their bytes`)
    return lines
  },
}

for (const body of requests.bodies.slice(0, 4)) {
  const [a, b] = Object.values(paths).map((write) => write(body)())
  if (Buffer.compare(a, b) !== 0) throw new Error('the two paths wrote different rows for a bench request')
}

timeAlternating(requests, paths)
