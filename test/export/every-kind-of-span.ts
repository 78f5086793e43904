/** Spans using every field and every attribute value type, for the encoder and packing tests. */
import { SpanKind, StatusCode } from '../../src/span/span-record.js'
import type { SpanRecord } from '../../src/span/span-record.js'
import { newId } from './fixtures.js'

export const longString = 'x'.repeat(300)
export const unicode = 'grüße, 世界 🚀 \u0000 end'

export function everyKindOfSpan(): SpanRecord[] {
  const traceId = newId(16)
  const start = 1_732_543_210_123.456
  const root: SpanRecord = {
    traceId,
    spanId: newId(8),
    parentSpanId: '',
    traceFlags: 1,
    traceState: '',
    name: 'GET /users/:id',
    kind: SpanKind.SERVER,
    startUnixMs: start,
    endUnixMs: start + 3.2501,
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'http.response.status_code': 200,
      'server.port': 8080,
      'http.response.body.size': 0,
      'negative.int': -17,
      'big.int': 2 ** 40 + 3,
      'min.safe': Number.MIN_SAFE_INTEGER,
      'max.safe': Number.MAX_SAFE_INTEGER,
      'double.value': 3.14159,
      'negative.double': -0.5,
      'bool.true': true,
      'bool.false': false,
      'empty.string': '',
      'long.string': longString,
      'unicode.string': unicode,
      // Under 128 characters but over 128 UTF-8 bytes; and a span over 16 KiB (3-byte lengths).
      'cjk.string': '世'.repeat(60),
      'huge.string': 'y'.repeat(20_000),
      'string.array': ['a', '', 'ünï', longString],
      'empty.array': [],
    },
    events: [
      { name: 'upstream.connection_ready', timeUnixMs: start + 0.1 },
      { name: 'upstream.request_sent', timeUnixMs: start + 0.25, attributes: {} },
      { name: 'with.attributes', timeUnixMs: start + 1.999999, attributes: { count: 3, ok: true, ratio: 0.25, who: 'me', list: ['x'] } },
      { name: '', timeUnixMs: start + 3.2501 },
    ],
    links: [],
  }
  const child: SpanRecord = {
    traceId,
    spanId: newId(8),
    parentSpanId: root.spanId,
    traceFlags: 0,
    traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    name: 'POST',
    kind: SpanKind.CLIENT,
    startUnixMs: start + 1,
    endUnixMs: start + 2,
    statusCode: StatusCode.ERROR,
    statusMessage: 'upstream refused the connection: ECONNREFUSED 127.0.0.1:9',
    attributes: { 'error.type': 'connection_refused', 'url.full': `http://users.svc:8080/users?q=${unicode}` },
    events: [],
    links: [
      { traceId: newId(16), spanId: newId(8) },
      { traceId: newId(16), spanId: newId(8), traceState: 'vendor=opaque', attributes: { 'link.reason': 'retry-of', attempt: 2 } },
    ],
  }
  const ok: SpanRecord = {
    ...root,
    spanId: newId(8),
    parentSpanId: newId(8),
    traceFlags: 3,
    name: '',
    kind: SpanKind.INTERNAL,
    statusCode: StatusCode.OK,
    statusMessage: '',
    attributes: {},
    events: [],
  }
  const unspecifiedKind: SpanRecord = { ...ok, spanId: newId(8), kind: SpanKind.UNSPECIFIED, startUnixMs: 999.9999, endUnixMs: 1000 }
  return [root, child, ok, unspecifiedKind]
}
