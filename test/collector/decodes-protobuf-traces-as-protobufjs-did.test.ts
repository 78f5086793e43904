/**
 * The protobuf decoders that read OTLP requests straight from their bytes
 * (decode-traces-protobuf.ts, decode-logs-protobuf.ts) give what the path
 * before them gave: protobufjs' ExportTraceServiceRequest.decode, then the
 * walk over its message objects (decodeTraceRequest). Same spans, values,
 * id bytes, rejections and reasons, and the same 400s, for requests encoded
 * by protobufjs from random content and for bytes written by hand that no
 * encoder would write. Where protobufjs accepted a malformed body (a string
 * running past the end, a message overrunning its parent) the new decoder
 * refuses it; those cases are asserted on their own.
 *
 * A failing random request prints its seed and number: DECODE_SEED=<seed>
 * replays the run.
 */
import t from 'tap'
import type { Test } from 'tap'
import { isDeepStrictEqual } from 'node:util'
import { ExportLogsServiceRequest, ExportTraceServiceRequest } from '../../src/collector/otlp/otlp-proto-root.js'
import { decodeTraceRequest } from '../../src/collector/otlp/decode-traces.js'
import { decodeTraceRequestProtobuf } from '../../src/collector/otlp/decode-traces-protobuf.js'
import { decodeLogsRequest } from '../../src/collector/otlp/decode-logs.js'
import { decodeLogsRequestProtobuf } from '../../src/collector/otlp/decode-logs-protobuf.js'
import { OtlpValueError } from '../../src/collector/otlp/otlp-values.js'
import { ProtoWireError } from '../../src/collector/otlp/proto-wire-reader.js'
import { SeededPrng } from '../helpers/seeded-prng.js'
import { randomAnyValue, randomAttributes, randomId, randomResourceEntries, randomSpan, STRINGS, TIMES } from './random-otlp-requests.js'
import { doubleField, fixed32Field, fixed64Field, lengthField, tag, unknownFieldsOfEveryWireType, varint, varintField } from './proto-bytes.js'

const SEED = Number(process.env.DECODE_SEED ?? 20261202)
const RECEIVED_NS = 1_700_000_000_123_456_789n

type Outcome = { batch: unknown } | { error: Error }

function outcomeOf(decode: () => unknown): Outcome {
  try {
    return { batch: decode() }
  } catch (err) {
    return { error: err as Error }
  }
}

const traceDecoders = {
  before: (body: Buffer) => decodeTraceRequest(ExportTraceServiceRequest.decode(body)),
  after: (body: Buffer) => decodeTraceRequestProtobuf(body),
}
const logsOptions = { receivedNs: RECEIVED_NS }
const logsDecoders = {
  before: (body: Buffer) => decodeLogsRequest(ExportLogsServiceRequest.decode(body), logsOptions),
  after: (body: Buffer) => decodeLogsRequestProtobuf(body, logsOptions),
}

/**
 * The new decoder's outcome is the old one's: the same batch (deep and
 * strict: Buffers, bigints, -0, key order aside), or a refusal of the same
 * kind (OtlpValueError with the same message; a malformed body).
 */
function assertSameOutcome(t: Test, body: Buffer, what: string, decoders = traceDecoders): void {
  const before = outcomeOf(() => decoders.before(body))
  const after = outcomeOf(() => decoders.after(body))
  if ('error' in before) {
    if (!('error' in after)) {
      t.fail(`${what}: protobufjs refused it (${before.error.message}) but the new decoder accepted it`)
      return
    }
    if (before.error instanceof OtlpValueError) {
      t.type(after.error, OtlpValueError, `${what}: refused for its values, as before`)
      t.equal(after.error.message, before.error.message, `${what}: with the same reason`)
    } else t.type(after.error, ProtoWireError, `${what}: refused as malformed (${after.error.message}), as before (${before.error.message})`)
    return
  }
  if ('error' in after) {
    t.fail(`${what}: decoded before, refused now: ${after.error.stack}`)
    return
  }
  if (isDeepStrictEqual(after.batch, before.batch)) t.pass(what)
  else t.strictSame(after.batch, before.batch, what)
}

// --- random requests, encoded by protobufjs ---

t.test('requests protobufjs encodes from random content decode as before', async (t) => {
  for (let n = 0; n < 400; n++) {
    const p = SeededPrng.forItem(SEED, n)
    const object = { resourceSpans: randomResourceEntries(p, 'spans', randomSpan) }
    const body = Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object)).finish())
    assertSameOutcome(t, body, `random request ${n} (DECODE_SEED=${SEED})`)
  }
})

function randomLog(p: SeededPrng): Record<string, unknown> {
  const log: Record<string, unknown> = { attributes: randomAttributes(p) }
  if (p.chance(0.8)) log.timeUnixNano = p.pick(TIMES)
  if (p.chance(0.5)) log.observedTimeUnixNano = p.pick(TIMES)
  if (p.chance(0.6)) log.severityNumber = p.pick([0, 9, 17, 24, 25, -1, 2147483647])
  if (p.chance(0.6)) log.severityText = p.pick(['INFO', 'ERROR', '', 'ü'])
  if (p.chance(0.8)) log.body = randomAnyValue(p, 0)
  if (p.chance(0.6)) log.traceId = randomId(p, 16)
  if (p.chance(0.6)) log.spanId = randomId(p, 8)
  if (p.chance(0.3)) log.flags = p.pick([0, 1, 0xffffffff])
  if (p.chance(0.2)) log.eventName = p.pick(STRINGS)
  return log
}

t.test('log requests protobufjs encodes from random content decode as before', async (t) => {
  for (let n = 0; n < 300; n++) {
    const p = SeededPrng.forItem(SEED + 1, n)
    const object = { resourceLogs: randomResourceEntries(p, 'logRecords', randomLog) }
    const body = Buffer.from(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(object)).finish())
    assertSameOutcome(t, body, `random logs request ${n} (DECODE_SEED=${SEED})`, logsDecoders)
  }
})

// --- bytes written by hand ---
// Field numbers: opentelemetry/proto (collector, trace, logs, common, resource v1).

const TRACE_ID = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')
const SPAN_ID = Buffer.from('b7ad6b7169203331', 'hex')
const PARENT_ID = Buffer.from('00f067aa0ba902b7', 'hex')
const T0 = 1_700_000_000_000_000_000n
const EMPTY = Buffer.alloc(0)

const ids = (): Buffer => Buffer.concat([lengthField(1, TRACE_ID), lengthField(2, SPAN_ID)])
const times = (): Buffer => Buffer.concat([fixed64Field(7, T0), fixed64Field(8, T0 + 5_000_000n)])
/** A span that is kept: ids and times, then `fields`. */
const span = (...fields: Buffer[]): Buffer => Buffer.concat([ids(), times(), ...fields])
/** KeyValue; key null leaves the key field out. */
const keyValue = (key: string | Buffer | null, value?: Buffer): Buffer =>
  Buffer.concat([key === null ? EMPTY : lengthField(1, key), value === undefined ? EMPTY : lengthField(2, value)])
const stringValue = (text: string | Buffer): Buffer => lengthField(1, text)
const intValue = (n: number | bigint): Buffer => varintField(3, n)
const attribute = (key: string | Buffer | null, value?: Buffer): Buffer => lengthField(9, keyValue(key, value))
const serviceResource = (name = 'hand-written'): Buffer => lengthField(1, keyValue('service.name', stringValue(name)))
/** An ExportTraceServiceRequest of one resource entry holding one scope entry with these spans. */
const request = (...spans: Buffer[]): Buffer =>
  lengthField(
    1,
    lengthField(1, serviceResource()),
    lengthField(2, lengthField(1, lengthField(1, 'scope'), lengthField(2, '1.0')), ...spans.map((s) => lengthField(2, s))),
  )

/** `levels` kvlists inside each other, a string at the bottom. */
function nestedKvList(levels: number): Buffer {
  let value = stringValue('bottom')
  for (let i = 0; i < levels; i++) value = lengthField(6, lengthField(1, keyValue('k', value)))
  return value
}
function nestedArray(levels: number): Buffer {
  let value = intValue(1)
  for (let i = 0; i < levels; i++) value = lengthField(5, lengthField(1, value))
  return value
}

/** A field of wire type 7, which does not exist: protobufjs refuses it wherever it is. */
const BAD = tag(20, 7)

const HAND_WRITTEN: Array<[string, Buffer]> = [
  ['an empty body', EMPTY],
  ['an empty resource entry', lengthField(1)],
  ['an empty scope entry', lengthField(1, lengthField(2))],
  ['an empty span', request(EMPTY)],
  ['an empty resource and scope', lengthField(1, lengthField(1), lengthField(2, lengthField(1), lengthField(2, span())))],
  ['a kept span with nothing but ids', request(ids())],
  [
    'unknown fields of every wire type at every level',
    (() => {
      const u = unknownFieldsOfEveryWireType()
      const value = Buffer.concat([u, stringValue('v'), u])
      const kv = Buffer.concat([u, keyValue('k', value), u])
      const array = lengthField(5, u, lengthField(1, value), u)
      const kvlist = lengthField(6, u, lengthField(1, kv), u)
      const theSpan = Buffer.concat([
        u,
        span(
          u,
          lengthField(9, kv),
          attribute('arr', Buffer.concat([u, array])),
          attribute('kvl', Buffer.concat([u, kvlist])),
          lengthField(11, u, fixed64Field(1, T0), lengthField(2, 'event'), lengthField(3, kv), u),
          lengthField(13, u, lengthField(1, PARENT_ID, PARENT_ID), lengthField(2, PARENT_ID), lengthField(4, kv), fixed32Field(6, 0x301), u),
          lengthField(15, u, varintField(3, 2), lengthField(2, 'failed'), u),
        ),
        u,
      ])
      const resource = lengthField(1, u, lengthField(1, keyValue('service.name', stringValue('unknowns'))), u)
      const scope = lengthField(1, u, lengthField(1, 'scope'), lengthField(3, kv), u)
      return Buffer.concat([u, lengthField(1, u, resource, lengthField(2, u, scope, lengthField(2, theSpan), u), u), u])
    })(),
  ],
  [
    'fields in reverse order, resource after its scopes, scope after its spans, value before key',
    lengthField(
      1,
      lengthField(
        2,
        lengthField(
          2,
          lengthField(15, lengthField(2, 'message first'), varintField(3, 1)),
          lengthField(9, lengthField(2, stringValue('v')), lengthField(1, 'value first')),
          fixed64Field(8, T0 + 7n),
          fixed64Field(7, T0),
          varintField(6, 3),
          lengthField(5, 'reversed'),
          lengthField(4, PARENT_ID),
          lengthField(2, SPAN_ID),
          lengthField(1, TRACE_ID),
        ),
        lengthField(1, lengthField(2, '2.0'), lengthField(1, 'late scope')),
      ),
      lengthField(1, lengthField(1, keyValue('service.name', stringValue('late resource')))),
    ),
  ],
  [
    'a scalar sent twice keeps its last value',
    request(
      span(
        lengthField(5, 'first name'),
        lengthField(5, 'second name'),
        varintField(6, 1),
        varintField(6, 2),
        fixed64Field(7, T0 - 1000n),
        fixed32Field(16, 1),
        fixed32Field(16, 0x301),
        lengthField(3, 'a=1'),
        lengthField(3, 'b=2'),
        lengthField(4, Buffer.alloc(3)),
        lengthField(4, PARENT_ID),
      ),
      // An invalid trace id, then a valid one: the valid one counts.
      Buffer.concat([lengthField(1, Buffer.alloc(3)), span()]),
      // A valid trace id, then an empty one: the span has none.
      Buffer.concat([span(), lengthField(1, EMPTY)]),
    ),
  ],
  [
    'a message sent twice: the later replaces the earlier (protobufjs does not merge)',
    lengthField(
      1,
      lengthField(1, lengthField(1, keyValue('service.name', stringValue('first resource')), keyValue('only.first', stringValue('x')))),
      lengthField(
        2,
        lengthField(1, lengthField(1, 'first scope'), lengthField(2, '1')),
        lengthField(
          2,
          span(
            lengthField(15, varintField(3, 2), lengthField(2, 'first status')),
            lengthField(15, lengthField(2, 'second status has no code')),
            attribute('twice', stringValue('first value')),
            lengthField(9, keyValue('value twice', stringValue('first')), lengthField(2, intValue(2))),
            attribute('array twice', Buffer.concat([lengthField(5, lengthField(1, intValue(1))), lengthField(5, lengthField(1, intValue(2)))])),
            attribute('twice', stringValue('second value')),
          ),
        ),
        lengthField(1, lengthField(2, 'second scope has no name')),
      ),
      lengthField(1, lengthField(1, keyValue('service.name', stringValue('second resource')))),
    ),
  ],
  [
    'an AnyValue with several members: string, int, double, bool, array, kvlist, bytes in that order of precedence',
    request(
      span(
        attribute('int then string', Buffer.concat([intValue(5), stringValue('s')])),
        attribute('bool then int', Buffer.concat([varintField(2, 1), intValue(-5)])),
        attribute('bool then double', Buffer.concat([varintField(2, 0), doubleField(4, 2.5)])),
        attribute('bytes then bool', Buffer.concat([lengthField(7, Buffer.from([1, 2])), varintField(2, 1)])),
        attribute(
          'kvlist then array',
          Buffer.concat([lengthField(6, lengthField(1, keyValue('a', intValue(1)))), lengthField(5, lengthField(1, intValue(2)))]),
        ),
        attribute('bytes then kvlist', Buffer.concat([lengthField(7, Buffer.from([1])), lengthField(6)])),
        attribute('nothing', EMPTY),
        attribute('no value'),
      ),
    ),
  ],
  [
    'ids: missing, empty, wrong length, all zero',
    request(
      Buffer.concat([lengthField(2, SPAN_ID), times()]),
      Buffer.concat([lengthField(1, EMPTY), lengthField(2, SPAN_ID), times()]),
      Buffer.concat([lengthField(1, TRACE_ID.subarray(1)), lengthField(2, SPAN_ID), times()]),
      Buffer.concat([lengthField(1, Buffer.concat([TRACE_ID, Buffer.from([1])])), lengthField(2, SPAN_ID), times()]),
      Buffer.concat([lengthField(1, Buffer.alloc(16)), lengthField(2, SPAN_ID), times()]),
      Buffer.concat([lengthField(1, TRACE_ID), times()]),
      Buffer.concat([lengthField(1, TRACE_ID), lengthField(2, Buffer.alloc(8)), times()]),
      Buffer.concat([lengthField(1, TRACE_ID), lengthField(2, SPAN_ID.subarray(2)), times()]),
      span(lengthField(4, EMPTY)),
      span(lengthField(4, Buffer.alloc(8))),
      span(lengthField(4, PARENT_ID.subarray(1))),
      span(
        lengthField(13, lengthField(1, Buffer.alloc(16)), lengthField(2, Buffer.alloc(8))),
        lengthField(13, lengthField(1, TRACE_ID)),
        lengthField(13, lengthField(1, TRACE_ID), lengthField(2, EMPTY)),
        lengthField(13, lengthField(1, TRACE_ID.subarray(3)), lengthField(2, SPAN_ID)),
      ),
    ),
  ],
  [
    'int64 values: huge, negative, beyond 2^53',
    request(
      span(
        ...[0n, 1n, -1n, 2n ** 53n - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n].map((n, i) =>
          attribute(`int ${i}`, intValue(n)),
        ),
        // 64-bit bools: protobufjs reads a bool's low 32 bits.
        attribute('bool 2^32', varintField(2, 2n ** 32n)),
        attribute('bool 2', varintField(2, 2)),
      ),
    ),
  ],
  [
    'times at and beyond 2^63, an end before the start, event times beyond 2^63',
    request(
      Buffer.concat([ids(), fixed64Field(7, 2n ** 63n - 1n), fixed64Field(8, 2n ** 63n - 1n)]),
      Buffer.concat([ids(), fixed64Field(7, 2n ** 63n)]),
      Buffer.concat([ids(), fixed64Field(7, T0), fixed64Field(8, 2n ** 64n - 1n)]),
      Buffer.concat([ids(), fixed64Field(7, T0), fixed64Field(8, T0 - 1n)]),
      Buffer.concat([ids(), fixed64Field(8, T0)]),
      span(lengthField(11, fixed64Field(1, 2n ** 63n), lengthField(2, 'too late')), lengthField(11, fixed64Field(1, 123_456_789n))),
    ),
  ],
  [
    'kind and status codes out of range (negative int32 as 10-byte varints, values past 32 bits)',
    request(
      ...[6, 7, -1, 2 ** 31 - 1, 2 ** 31, 2n ** 32n + 2n, 2n ** 63n].map((kind) => span(varintField(6, kind))),
      ...[3, -1, 2n ** 32n + 1n].map((code) => span(lengthField(15, varintField(3, code)))),
    ),
  ],
  [
    'strings that are not UTF-8, in names, keys and values',
    request(
      span(
        lengthField(5, Buffer.from([0x66, 0xff, 0xfe, 0x6f])),
        attribute(Buffer.from([0xc3]), stringValue(Buffer.from([0xe2, 0x82]))),
        attribute(Buffer.from([0xc0, 0x80]), stringValue(Buffer.from([0xed, 0xa0, 0x80]))),
        attribute(Buffer.from([0xc3]), stringValue(Buffer.from([0xf4, 0x90, 0x80, 0x80]))),
        lengthField(15, lengthField(2, Buffer.from([0x80]))),
      ),
    ),
  ],
  [
    'keys an object treats specially: __proto__, constructor, integer-like keys (stored in their own order)',
    request(
      span(
        attribute('b', intValue(1)),
        attribute('10', intValue(2)),
        attribute('__proto__', lengthField(6, lengthField(1, keyValue('polluted', stringValue('yes'))))),
        attribute('constructor', stringValue('c')),
        attribute('2', intValue(3)),
        attribute('__proto__', stringValue('a string this time')),
      ),
    ),
  ],
  [
    'a KeyValue without a key is left out, an empty key is kept',
    request(span(attribute(null, stringValue('keyless')), attribute('', stringValue('empty key')))),
  ],
  [
    'doubles: NaN, infinities, -0, the extremes',
    request(span(...[Number.NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE].map((d, i) => attribute(`d${i}`, doubleField(4, d))))),
  ],
  ['bytes values, empty and not', request(span(attribute('empty', lengthField(7, EMPTY)), attribute('some', lengthField(7, Buffer.from([0, 255, 16])))))],
  [
    'many keys (more than the key cache holds), long keys and keys that repeat across spans',
    (() => {
      const attributes = Array.from({ length: 300 }, (_, i) => attribute(`key${String(i).padStart(3, '0')}`, intValue(i)))
      const longKey = attribute('k'.repeat(65), stringValue('long'))
      return request(span(...attributes, longKey), span(...attributes.slice().reverse(), longKey), span(attribute('key000', stringValue('again'))))
    })(),
  ],
  [
    'a resource whose service.name is not a string, and entity refs',
    lengthField(
      1,
      lengthField(1, lengthField(1, keyValue('service.name', intValue(3))), lengthField(3, lengthField(2, 'host'), lengthField(3, 'host.id'))),
      lengthField(2, lengthField(2, span())),
    ),
  ],
  // Values nested at and past the depth limit (32): a 400 only where the old walk read the value.
  ['a kvlist nested 32 deep in a span attribute', request(span(attribute('deep', nestedKvList(32))))],
  ['a kvlist nested 33 deep in a span attribute', request(span(attribute('deep', nestedKvList(33))))],
  ['an array nested 32 deep', request(span(attribute('deep', nestedArray(32))))],
  ['an array nested 33 deep', request(span(attribute('deep', nestedArray(33))))],
  ['nested too deep in a resource attribute', lengthField(1, lengthField(1, lengthField(1, keyValue('deep', nestedKvList(40)))))],
  ['nested too deep in an event attribute', request(span(lengthField(11, lengthField(3, keyValue('deep', nestedArray(40))))))],
  [
    'nested too deep in a kept link',
    request(span(lengthField(13, lengthField(1, TRACE_ID), lengthField(2, SPAN_ID), lengthField(4, keyValue('deep', nestedArray(40)))))),
  ],
  ['nested too deep in a dropped link', request(span(lengthField(13, lengthField(1, TRACE_ID), lengthField(4, keyValue('deep', nestedArray(40))))))],
  [
    'nested too deep in a rejected span',
    request(Buffer.concat([attribute('deep', nestedKvList(40)), lengthField(1, Buffer.alloc(16)), lengthField(2, SPAN_ID)])),
  ],
  ['nested too deep in a member that loses to a string', request(span(attribute('deep', Buffer.concat([nestedKvList(40), stringValue('wins')]))))],
  ['nested too deep in a value without a key', request(span(attribute(null, nestedKvList(40))))],
  ['nested too deep in a value replaced by a later one', request(span(lengthField(9, keyValue('k', nestedKvList(40)), lengthField(2, stringValue('later')))))],
  [
    'nested too deep in scope attributes (not read)',
    lengthField(1, lengthField(2, lengthField(1, lengthField(3, keyValue('deep', nestedKvList(40)))), lengthField(2, span()))),
  ],
  ['nested 1000 deep in a span attribute', request(span(attribute('deep', nestedKvList(1000))))],
  ['nested 1000 deep in a rejected span', request(Buffer.concat([attribute('deep', nestedArray(1000)), lengthField(2, SPAN_ID)]))],
  [
    'nested 1000 deep in scope attributes',
    lengthField(1, lengthField(2, lengthField(1, lengthField(3, keyValue('deep', nestedKvList(1000)))), lengthField(2, span()))),
  ],
  ['nested 1000 deep in a member that loses to an int', request(span(attribute('deep', Buffer.concat([nestedArray(1000), intValue(3)]))))],
  // Malformed: refused by both, wherever the fault is, read or not.
  ['a bad wire type in a member that loses to a string', request(span(attribute('k', Buffer.concat([lengthField(5, BAD), stringValue('wins')]))))],
  [
    'a bad wire type in scope attributes',
    lengthField(1, lengthField(2, lengthField(1, lengthField(3, keyValue('k', lengthField(6, BAD)))), lengthField(2, span()))),
  ],
  ['a bad wire type in an attribute of a rejected span', request(Buffer.concat([attribute('k', lengthField(5, BAD)), lengthField(1, Buffer.alloc(16))]))],
  ['a bad wire type in a resource replaced by a later one', lengthField(1, lengthField(1, lengthField(1, keyValue('k', lengthField(6, BAD)))), lengthField(1))],
  ['a bad wire type in a status replaced by a later one', request(span(lengthField(15, BAD), lengthField(15)))],
  ['a bad wire type in the attributes of a dropped link', request(span(lengthField(13, lengthField(4, keyValue('k', lengthField(5, BAD))))))],
  ['a bad wire type in an entity ref', lengthField(1, lengthField(1, lengthField(3, BAD)), lengthField(2, lengthField(2, span())))],
  [
    'a bad wire type in a value replaced by a later one',
    request(span(lengthField(9, keyValue('k', lengthField(5, BAD)), lengthField(2, stringValue('later'))))),
  ],
  ['a bad wire type in a value without a key', request(span(attribute(null, lengthField(5, BAD))))],
  ['a tag with nothing after it', Buffer.from([0x0a])],
  ['a length past the end', Buffer.from([0x0a, 0x05, 0x01])],
  ['a length of 2^32-1', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
  ['a truncated varint', Buffer.concat([request(span()), varintField(1000, 1).subarray(0, 2), Buffer.from([0x80])])],
  ['wire type 7', Buffer.concat([request(span()), tag(9, 7)])],
  ['wire type 6 inside a span', request(span(tag(20, 6), Buffer.from([1, 2, 3])))],
  ['an end-group tag with no group open', request(span(tag(20, 4)))],
  ['a group never closed', Buffer.concat([request(span()), tag(30, 3), varintField(1, 1)])],
  ['a truncated fixed64 inside a span', request(Buffer.concat([ids(), tag(7, 1), Buffer.from([1, 2, 3])]))],
  ['an id running past the end of the body', Buffer.concat([lengthField(1, lengthField(2, lengthField(2, lengthField(1, TRACE_ID)))).subarray(0, -3)])],
]

t.test('bytes written by hand decode as before', async (t) => {
  for (const [what, body] of HAND_WRITTEN) assertSameOutcome(t, body, what)
})

t.test('a body cut anywhere is refused, or decodes as before when the cut falls between whole fields', async (t) => {
  const body = request(
    span(attribute('k', stringValue('value')), lengthField(11, fixed64Field(1, T0), lengthField(2, 'ev'))),
    span(lengthField(13, lengthField(1, TRACE_ID), lengthField(2, SPAN_ID))),
  )
  for (let cut = 0; cut <= body.length; cut++) assertSameOutcome(t, body.subarray(0, cut), `cut at ${cut} of ${body.length}`)
})

function refusedAsMalformed(t: Test, body: Buffer, what: string, reason: RegExp): void {
  const after = outcomeOf(() => decodeTraceRequestProtobuf(body))
  if (!('error' in after)) t.fail(`${what}: accepted`)
  else {
    t.type(after.error, ProtoWireError, what)
    t.match(after.error.message, reason, `${what}: says why`)
  }
}

t.test('malformed bodies that protobufjs let through are refused', async (t) => {
  // protobufjs cuts a string running past the end of the body short, and takes the body.
  const cutSchemaUrl = Buffer.concat([tag(1, 2), varint(3), tag(3, 2), varint(40), Buffer.from('x')])
  t.doesNotThrow(() => ExportTraceServiceRequest.decode(cutSchemaUrl), 'protobufjs takes a string cut short by the end of the body')
  refusedAsMalformed(t, cutSchemaUrl, 'a string cut short by the end of the body', /runs past the end of its message/)
  const cutName = request(Buffer.concat([span(), Buffer.from([0x2a, 0x40, 0x41])]))
  t.doesNotThrow(() => ExportTraceServiceRequest.decode(cutName), 'protobufjs takes a span name cut short')
  refusedAsMalformed(t, cutName, 'a span name cut short by the end of the body', /runs past the end of its message/)
  // A span whose name runs 2 bytes past the span's own end; those 2 bytes read as a field of the scope entry too.
  const spanBytes = span(lengthField(5, Buffer.from([0x08, 0x01])))
  const overrun = lengthField(1, lengthField(2, tag(2, 2), varint(spanBytes.length - 2), spanBytes))
  t.doesNotThrow(() => ExportTraceServiceRequest.decode(overrun), 'protobufjs reads a field past the end of its message')
  refusedAsMalformed(t, overrun, 'a field running past the end of its message', /runs past the end of its message/)
  refusedAsMalformed(t, request(span(tag(20, 3), varintField(1, 1), tag(21, 4))), 'a group closed as another field', /closed as field 21/)
  t.doesNotThrow(() => ExportTraceServiceRequest.decode(request(span(varintField(0, 1)))), 'protobufjs skips a field numbered 0')
  refusedAsMalformed(t, request(span(varintField(0, 1))), 'a field numbered 0', /field number 0/)
})

t.test('a known field with the wrong wire type is skipped as an unknown field would be', async (t) => {
  // protobufjs reads a field by its schema's type whatever its wire type, and so misreads the bytes after it.
  const body = request(
    span(varintField(5, 3), fixed32Field(1, 7), lengthField(6, 'not a varint'), lengthField(9, varintField(1, 5), lengthField(2, stringValue('v')))),
  )
  const batch = decodeTraceRequestProtobuf(body)
  t.equal(batch.items.length, 1, 'the span is kept')
  const stored = batch.items[0]!
  t.equal(stored.span.name, '', 'a name sent as a varint is no name')
  t.equal(stored.span.traceId, TRACE_ID.toString('hex'), 'a trace id sent as a fixed32 leaves the real one')
  t.equal(stored.span.kind, 'UNSPECIFIED', 'a kind sent as bytes is no kind')
  t.same(stored.span.attributes, {}, 'an attribute whose key was sent as a varint has no key and is left out')
})

t.test('the id bytes are views of the body, as protobufjs gave them', async (t) => {
  const body = request(span(lengthField(4, PARENT_ID)))
  const [item] = decodeTraceRequestProtobuf(body).items
  t.ok(item, 'the span is kept')
  for (const bytes of [item!.traceIdBytes, item!.spanIdBytes, item!.parentSpanIdBytes!]) {
    t.ok(Buffer.isBuffer(bytes), 'a Buffer')
    t.equal(bytes.buffer, body.buffer, "on the body's memory")
  }
})

// --- logs, written by hand ---

const logTimes = (): Buffer => Buffer.concat([fixed64Field(1, T0), fixed64Field(11, T0 + 1n)])
/** An ExportLogsServiceRequest of one resource entry holding one scope entry with these records. */
const logsRequest = (...records: Buffer[]): Buffer =>
  lengthField(1, lengthField(1, serviceResource('logs')), lengthField(2, lengthField(1, lengthField(1, 'logger')), ...records.map((r) => lengthField(2, r))))

const HAND_WRITTEN_LOGS: Array<[string, Buffer]> = [
  ['an empty log record', logsRequest(EMPTY)],
  ['a log with only a body', logsRequest(lengthField(5, stringValue('hello')))],
  [
    'unknown fields, fields out of order, a body sent twice',
    logsRequest(
      Buffer.concat([
        unknownFieldsOfEveryWireType(),
        lengthField(5, stringValue('first body')),
        lengthField(6, keyValue('k', intValue(1))),
        lengthField(10, SPAN_ID),
        lengthField(9, TRACE_ID),
        fixed32Field(8, 1),
        lengthField(3, 'WARN'),
        varintField(2, 13),
        fixed64Field(11, T0),
        lengthField(5, lengthField(6, lengthField(1, keyValue('structured', doubleField(4, Number.NaN))))),
        fixed64Field(1, T0 - 1n),
        lengthField(12, 'event.name'),
        unknownFieldsOfEveryWireType(),
      ]),
    ),
  ],
  [
    'ids: empty, all zero, wrong length; a trace id found in the body',
    logsRequest(
      Buffer.concat([logTimes(), lengthField(9, EMPTY), lengthField(5, stringValue('trace_id=0af7651916cd43dd8448eb211c80319c'))]),
      Buffer.concat([logTimes(), lengthField(9, Buffer.alloc(16)), lengthField(10, Buffer.alloc(8))]),
      Buffer.concat([logTimes(), lengthField(9, TRACE_ID.subarray(1))]),
      Buffer.concat([logTimes(), lengthField(9, TRACE_ID), lengthField(10, SPAN_ID.subarray(1))]),
    ),
  ],
  [
    'times: absent, only observed, beyond 2^63',
    logsRequest(EMPTY, fixed64Field(11, T0), fixed64Field(1, 2n ** 63n), Buffer.concat([fixed64Field(1, T0), fixed64Field(11, 2n ** 64n - 1n)])),
  ],
  ['severity numbers out of range', logsRequest(...[25, -1, 2n ** 32n + 9n].map((n) => Buffer.concat([logTimes(), varintField(2, n)])))],
  ['a body nested 33 deep', logsRequest(Buffer.concat([logTimes(), lengthField(5, nestedKvList(33))]))],
  ['a body nested too deep in a rejected record', logsRequest(Buffer.concat([lengthField(5, nestedArray(40)), lengthField(9, Buffer.alloc(3))]))],
  ['a body nested too deep, replaced by a later body', logsRequest(Buffer.concat([lengthField(5, nestedArray(40)), lengthField(5, stringValue('later'))]))],
  [
    'a bad wire type in a body replaced by a later one',
    logsRequest(Buffer.concat([lengthField(5, lengthField(6, BAD)), lengthField(5, stringValue('later'))])),
  ],
  ['a bad wire type in the body of a rejected record', logsRequest(Buffer.concat([lengthField(5, lengthField(5, BAD)), lengthField(9, Buffer.alloc(3))]))],
  ['a log record cut short', logsRequest(Buffer.concat([logTimes(), lengthField(5, stringValue('x'))])).subarray(0, -2)],
]

t.test('log bytes written by hand decode as before', async (t) => {
  for (const [what, body] of HAND_WRITTEN_LOGS) assertSameOutcome(t, body, what, logsDecoders)
})
