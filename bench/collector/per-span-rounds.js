// Shared by the collector's per-span micro-benchmarks (otlp-decode.bench.js,
// clickhouse-rows.bench.js): run.js's own requests, and two ways of handling
// them timed in alternating rounds in one process (A B A B ...) after 8 of
// each to warm up, CPU time from process.cpuUsage(), garbage collection
// included. No collection is forced between passes: a forced one slowed both
// paths 2-3x in the passes after it (and its background threads' time lands
// in the next pass). Other work on a shared machine moves CPU time a lot from
// minute to minute: read the ratio of the two, from many rounds.
import { parseArgs } from 'node:util'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { BATCH, makeBatchSource } from './bench-spans.js'

/** `--batches` requests of BATCH spans each, encoded as the OTLP proto exporter encodes them, and `--rounds`. */
export function benchRequests() {
  const { values } = parseArgs({ options: { batches: { type: 'string', default: '64' }, rounds: { type: 'string', default: '30' } } })
  const source = makeBatchSource()
  const bodies = Array.from({ length: Number(values.batches) }, () => Buffer.from(ProtobufTraceSerializer.serializeRequest(source.nextBatch())))
  return { bodies, spans: bodies.length * BATCH, rounds: Number(values.rounds) }
}

export const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Times `paths` (name → handle(body), the first the before, the second the after) over every body,
 * in alternating rounds; prints µs of CPU per span (medians) and the after/before ratio.
 */
export function timeAlternating({ bodies, spans, rounds }, paths) {
  const pass = (handle) => {
    const before = process.cpuUsage()
    for (const body of bodies) handle(body)
    const used = process.cpuUsage(before)
    return (used.user + used.system) / spans
  }
  // Warm-up: both paths optimized before anything is counted.
  for (let i = 0; i < 8; i++) for (const handle of Object.values(paths)) pass(handle)
  const times = Object.fromEntries(Object.keys(paths).map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) for (const [name, handle] of Object.entries(paths)) times[name].push(pass(handle))
  const bytesPerSpan = bodies.reduce((sum, body) => sum + body.length, 0) / spans
  console.log(`${bodies.length} requests of ${BATCH} spans (${bytesPerSpan.toFixed(0)} bytes of protobuf per span), ${rounds} alternating rounds`)
  for (const [name, list] of Object.entries(times)) {
    console.log(`${name.padEnd(24)} ${median(list).toFixed(2)} µs CPU per span (median; rounds ${list.map((t) => t.toFixed(2)).join(' ')})`)
  }
  const [beforeName, afterName] = Object.keys(paths)
  const [beforeRounds, afterRounds] = Object.values(times)
  // Each round's two passes ran back to back, so their ratio is less moved by the machine's drift than the medians'.
  const roundRatios = afterRounds.map((t, i) => t / beforeRounds[i])
  console.log(
    `${afterName} / ${beforeName}: ${(median(afterRounds) / median(beforeRounds)).toFixed(2)} (medians), ${median(roundRatios).toFixed(2)} (median of the rounds' ratios)`,
  )
}
