/**
 * The ClickHouse store writes a plain span's row straight from its protobuf
 * bytes (clickhouse-plain-span.ts, SpanRows.writePlain) and decodes every
 * other span as before. The insert body must be the one the decoded path
 * writes, byte for byte, with the same ids, the same spans kept and refused
 * (and why), and the same spans for RED; and the plain path must be the one
 * taken for what SDKs send, or it saves nothing.
 *
 * A failing random request prints its seed and number: ROWS_SEED=<seed>
 * replays the run.
 */
import t from 'tap'
import type { Test } from 'tap'
import { isDeepStrictEqual } from 'node:util'
import { measuredSpanOf } from '../../src/collector/metrics/measured-span.js'
import type { MeasuredSpan } from '../../src/collector/metrics/measured-span.js'
import { decodeTraceRequestProtobufInto } from '../../src/collector/otlp/decode-traces-protobuf.js'
import { ExportTraceServiceRequest } from '../../src/collector/otlp/otlp-proto-root.js'
import { SpanRows, SpanRowsBatch } from '../../src/collector/store/clickhouse/clickhouse-span-rows.js'
import type { PreparedSpans } from '../../src/collector/store/clickhouse/clickhouse-span-rows.js'
import { SeededPrng } from '../helpers/seeded-prng.js'
import { INT64S, randomId, randomResourceEntries, randomSpan, STRINGS, TIMES } from './random-otlp-requests.js'

const SEED = Number(process.env.ROWS_SEED ?? 20261203)

interface Written {
  prepared: PreparedSpans | undefined
  rejected: number
  rejectReasons: string[]
  measured: MeasuredSpan[]
  /** Spans written from their bytes (the plain path only). */
  plain: number
}

/** A batch of a fresh store's rows; `prepared` is what its group's write would get. */
function batchOf(): { batch: SpanRowsBatch; prepared: () => Promise<PreparedSpans | undefined> } {
  let prepared: PreparedSpans | undefined
  const batch = new SpanRowsBatch(new SpanRows(), 1024, (p) => {
    prepared = p
    return Promise.resolve({ stored: p.ends.length })
  })
  return { batch, prepared: async () => (await batch.finish(), prepared) }
}

async function decodedPath(body: Buffer): Promise<Written | Error> {
  const { batch, prepared } = batchOf()
  const measured: MeasuredSpan[] = []
  try {
    const rejections = decodeTraceRequestProtobufInto(body, {
      push(item) {
        batch.push(item)
        measured.push(measuredSpanOf(item.span))
      },
    })
    return { prepared: await prepared(), ...rejections, measured, plain: 0 }
  } catch (err) {
    return err as Error
  }
}

async function plainPath(body: Buffer): Promise<Written | Error> {
  const { batch, prepared } = batchOf()
  const measured: MeasuredSpan[] = []
  try {
    const taken = batch.takeProtobuf(body, measured)
    const written = { prepared: await prepared(), rejected: taken.rejected, rejectReasons: taken.rejectReasons, measured, plain: batch.takenPlain }
    if (taken.taken !== measured.length) throw new Error(`takeProtobuf said ${taken.taken} spans taken, RED got ${measured.length}`)
    return written
  } catch (err) {
    return err as Error
  }
}

/** Asserts the two paths agree on `body`; resolves with the spans the plain path wrote from their bytes. */
async function assertSameRows(t: Test, body: Buffer, what: string): Promise<number> {
  const before = await decodedPath(body)
  const after = await plainPath(body)
  if (before instanceof Error || after instanceof Error) {
    if (!(before instanceof Error && after instanceof Error))
      t.fail(`${what}: one path refused the request: ${String(before instanceof Error ? before : after)}`)
    else t.equal(after.constructor, before.constructor, `${what}: both refuse it, alike (${before.message})`)
    return 0
  }
  const rowsBefore = before.prepared?.lines.toString('utf8') ?? ''
  const rowsAfter = after.prepared?.lines.toString('utf8') ?? ''
  if (before.prepared !== undefined && after.prepared !== undefined && Buffer.compare(before.prepared.lines, after.prepared.lines) !== 0) {
    t.equal(rowsAfter, rowsBefore, `${what}: the rows, byte for byte`)
    return after.plain
  }
  const same =
    rowsAfter === rowsBefore &&
    isDeepStrictEqual(after.prepared?.ends, before.prepared?.ends) &&
    isDeepStrictEqual(after.prepared?.traceIds, before.prepared?.traceIds) &&
    isDeepStrictEqual(after.prepared?.spanIds, before.prepared?.spanIds) &&
    after.rejected === before.rejected &&
    isDeepStrictEqual(after.rejectReasons, before.rejectReasons) &&
    isDeepStrictEqual(after.measured, before.measured)
  if (same) t.pass(what)
  else t.strictSame({ ...after, plain: 0 }, before, what)
  return after.plain
}

const encode = (object: unknown): Buffer => Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object as object)).finish())

// Spans that are plain, or nearly so: each one thing away from plain at most.

const PLAIN_KEYS = ['http.request.method', 'http.route', 'url.path', 'http.response.status_code', 'http.status_code', 'server.port', 'customer.tier', '']
const AWKWARD_KEYS = ['0', '7', '12abc', '__proto__', 'naïve', "it's", 'back\\slash', 'quote"d', 'tab\tkey', 'constructor', 'toString']
const AWKWARD_STRINGS = [...STRINGS, "it's", 'say "hi"', 'back\\slash', 'a\rb', '\u007f', '{"json":1}', '[1,2]']

function nearlyPlainValue(p: SeededPrng): Record<string, unknown> {
  switch (p.int(0, 9)) {
    case 0:
      return { intValue: p.pick(INT64S) }
    case 1:
      return { intValue: p.int(-100000, 100000) }
    case 2:
      return { doubleValue: p.pick([0, -0, 1.5, 1e21, 1e-7, 0.1, Number.NaN, Infinity, 5e-324]) }
    case 3:
      return { boolValue: p.chance(0.5) }
    case 4:
      return { stringValue: p.pick(AWKWARD_STRINGS) }
    case 5:
      // Rarely anything but one member.
      return p.pick([{}, { arrayValue: { values: [{ stringValue: 'x' }] } }, { bytesValue: Buffer.from('ab') }, { stringValue: 'a', intValue: 1 }])
    default:
      return { stringValue: p.pick(['GET', '/api/items/42', 'standard', 'gold', '10.0.3.7', 'bench/1.0', '']) }
  }
}

function nearlyPlainSpan(p: SeededPrng): Record<string, unknown> {
  const attributes = Array.from({ length: p.int(0, 9) }, () => ({
    key: p.chance(0.9) ? p.pick(PLAIN_KEYS) : p.pick(AWKWARD_KEYS),
    value: nearlyPlainValue(p),
  }))
  const start = 1_700_000_000_000_000_000n + BigInt(p.int(0, 1e9))
  const span: Record<string, unknown> = {
    traceId: p.chance(0.97) ? p.bytes(16) : randomId(p, 16),
    spanId: p.chance(0.97) ? p.bytes(8) : randomId(p, 8),
    name: p.chance(0.9) ? p.pick(['GET /api/items/:id', 'SELECT items', 'POST /api/cart']) : p.pick(AWKWARD_STRINGS),
    kind: p.chance(0.9) ? p.int(0, 5) : p.pick([6, -1, 2147483647]),
    startTimeUnixNano: p.chance(0.97) ? start.toString() : p.pick(TIMES),
    endTimeUnixNano: p.chance(0.95) ? (start + BigInt(p.int(0, 5e6))).toString() : p.pick(TIMES),
    attributes,
  }
  if (p.chance(0.6)) span.parentSpanId = p.chance(0.9) ? p.bytes(8) : p.pick([Buffer.alloc(8), Buffer.alloc(0), p.bytes(7)])
  if (p.chance(0.2)) span.traceState = p.pick(['', 'vendor=1', ...AWKWARD_STRINGS])
  if (p.chance(0.3)) span.flags = p.pick([0, 1, 0x301])
  if (p.chance(0.3)) span.status = { code: p.pick([0, 1, 2, 5]), message: p.pick(['', 'upstream failed', ...AWKWARD_STRINGS]) }
  if (p.chance(0.05)) span.events = [{ timeUnixNano: start.toString(), name: 'exception', attributes: [] }]
  if (p.chance(0.05)) span.links = [{ traceId: p.bytes(16), spanId: p.bytes(8) }]
  return span
}

function requestOf(p: SeededPrng, makeSpan: (p: SeededPrng) => Record<string, unknown>): Buffer {
  const resourceAttributes = [
    { key: 'service.name', value: { stringValue: p.pick(['checkout', 'payments', 'ü 😀', "o'brien"]) } },
    { key: 'host.name', value: { stringValue: 'checkout-7f9c' } },
  ]
  return encode({
    resourceSpans: Array.from({ length: p.int(1, 2) }, () => ({
      resource: p.chance(0.9) ? { attributes: resourceAttributes.slice(0, p.int(0, 2)) } : undefined,
      scopeSpans: Array.from({ length: p.int(1, 2) }, () => ({
        scope: p.chance(0.8) ? { name: p.pick(['tracecar', '@opentelemetry/instrumentation-http', 'tab\tscope']), version: '1.0.0' } : undefined,
        spans: Array.from({ length: p.int(1, 12) }, () => makeSpan(p)),
      })),
    })),
  })
}

t.test('spans as SDKs send them are written from their bytes, as the decoded path writes them', async (t) => {
  let spans = 0
  let plain = 0
  for (let n = 0; n < 50; n++) {
    const p = SeededPrng.forItem(SEED, n)
    const object = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: [
            {
              scope: { name: 'tracecar', version: '0.1.0' },
              spans: Array.from({ length: 20 }, (_, i) => ({
                traceId: p.bytes(16),
                spanId: p.bytes(8),
                parentSpanId: i === 0 ? undefined : p.bytes(8),
                name: 'GET /api/items/:id',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(p.int(0, 9e6))),
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'http.response.status_code', value: { intValue: p.pick([200, 404, 500]) } },
                  { key: 'server.port', value: { intValue: 8080 } },
                  { key: 'sampled.ratio', value: { doubleValue: 0.25 } },
                  { key: 'retry', value: { boolValue: false } },
                ],
                status: i % 7 === 0 ? { code: 2, message: 'upstream failed' } : undefined,
              })),
            },
          ],
        },
      ],
    }
    spans += 20
    plain += await assertSameRows(t, encode(object), `SDK-like request ${n} (ROWS_SEED=${SEED})`)
  }
  t.equal(plain, spans, 'every one of them written from its bytes')
})

t.test('spans one thing away from plain are written as the decoded path writes them', async (t) => {
  let plain = 0
  for (let n = 0; n < 400; n++)
    plain += await assertSameRows(t, requestOf(SeededPrng.forItem(SEED + 1, n), nearlyPlainSpan), `nearly plain request ${n} (ROWS_SEED=${SEED})`)
  // Most are plain: the comparison covers the plain path, not only the decoded one.
  t.ok(plain > 400, `${plain} spans written from their bytes`)
})

t.test('requests of random content are written as the decoded path writes them', async (t) => {
  for (let n = 0; n < 300; n++) {
    const p = SeededPrng.forItem(SEED + 2, n)
    await assertSameRows(t, encode({ resourceSpans: randomResourceEntries(p, 'spans', randomSpan) }), `random request ${n} (ROWS_SEED=${SEED})`)
  }
})

t.test('a malformed request is refused by both paths', async (t) => {
  const good = requestOf(SeededPrng.forItem(SEED + 3, 0), nearlyPlainSpan)
  for (const cut of [1, 5, 17, good.length >> 1, good.length - 1]) await assertSameRows(t, good.subarray(0, cut), `cut after ${cut} bytes`)
})
