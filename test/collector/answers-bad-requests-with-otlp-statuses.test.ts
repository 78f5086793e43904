/**
 * Malformed, truncated, oversize and wrongly typed OTLP requests get the
 * status the OTLP spec names (400, 413, 415, 429, 503 with Retry-After,
 * partial success), and the collector keeps serving afterwards.
 */
import t from 'tap'
import type { Test } from 'tap'
import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../../src/collector/otlp/otlp-proto-root.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import { fixed64Field, lengthField } from './proto-bytes.js'
import { testStoreKind } from '../helpers/test-store.js'

const collector = await startTestCollector({ maxBodyBytes: 64 * 1024, maxInflightBytes: 100 * 1024 })
t.teardown(() => collector.close())
const tracesUrl = `${collector.otlpUrl}/v1/traces`

function validProtobufBody(traceId = hexId(16)): Uint8Array {
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-requests' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: Buffer.from(traceId, 'hex'),
                spanId: Buffer.from(hexId(8), 'hex'),
                name: 'GET /ok',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000005000000',
                attributes: [{ key: 'pad', value: { stringValue: 'x'.repeat(200) } }],
              },
            ],
          },
        ],
      },
    ],
  })
  return ExportTraceServiceRequest.encode(message).finish()
}

async function post(body: Uint8Array | string, headers: Record<string, string>, url = tracesUrl): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers, body })
  return { status: response.status, text: await response.text(), headers: response.headers }
}

const PROTO = { 'content-type': 'application/x-protobuf' }

async function stillServes(t: Test): Promise<void> {
  const traceId = hexId(16)
  const ok = await post(validProtobufBody(traceId), PROTO)
  t.equal(ok.status, 200, 'a good request afterwards is accepted')
  const stored = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
  t.equal(stored.status, 200, 'and stored')
}

t.test('a body that is not protobuf is a 400 with a reason', async (t) => {
  const res = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTO)
  t.equal(res.status, 400)
  // The answer is a google.rpc.Status in protobuf; its message is readable among its bytes.
  t.match(res.text, /the body is not a valid protobuf ExportTraceServiceRequest: a field of 4294967295 bytes at offset 1 runs past the end/)
  const logs = await post(Buffer.from([0x0a, 0x02, 0x12, 0x05, 0x01]), PROTO, `${collector.otlpUrl}/v1/logs`)
  t.equal(logs.status, 400)
  t.match(logs.text, /the body is not a valid protobuf ExportLogsServiceRequest: .*runs past the end of its message/)
  await stillServes(t)
})

t.test('a truncated protobuf body is a 400', async (t) => {
  const body = validProtobufBody()
  const res = await post(body.subarray(0, Math.floor(body.length / 2)), PROTO)
  t.equal(res.status, 400)
  await stillServes(t)
})

t.test('a protobuf body whose good spans come before its malformed part is a 400 and stores none of them', async (t) => {
  // The stores may take spans as they are decoded: those read before the malformed part must not be kept.
  const traceId = hexId(16)
  const res = await post(Buffer.concat([validProtobufBody(traceId), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])]), PROTO)
  t.equal(res.status, 400)
  t.match(res.text, /runs past the end/)
  await stillServes(t)
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceId}`)).status, 404, 'the good span before it was not stored')
})

t.test('malformed JSON and a JSON body of the wrong shape are 400s naming the problem', async (t) => {
  const broken = await post('{"resourceSpans": [', { 'content-type': 'application/json' })
  t.equal(broken.status, 400)
  t.match(JSON.parse(broken.text).message, /not a valid JSON/)
  const wrongShape = await postJson(tracesUrl, { resourceSpans: { not: 'an array' } })
  t.equal(wrongShape.status, 400)
  t.match(wrongShape.body.message, /resourceSpans must be an array/)
  const badTime = await postJson(tracesUrl, {
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: hexId(16), spanId: hexId(8), name: 'x', startTimeUnixNano: 'yesterday' }] }] }],
  })
  t.equal(badTime.status, 200, 'a bad field in one span refuses that span only')
  t.equal(badTime.body.partialSuccess.rejectedSpans, 1)
  t.match(badTime.body.partialSuccess.errorMessage, /startTimeUnixNano must be an unsigned 64-bit integer/)
  await stillServes(t)
})

t.test('an unknown content type or encoding is a 415', async (t) => {
  const text = await post('hello', { 'content-type': 'text/plain' })
  t.equal(text.status, 415)
  t.match(JSON.parse(text.text).message, /application\/x-protobuf or application\/json/)
  const brotli = await post(validProtobufBody(), { ...PROTO, 'content-encoding': 'br' })
  t.equal(brotli.status, 415)
  await stillServes(t)
})

t.test('bodies over the limit are a 413: declared, streamed, or inflated from gzip', async (t) => {
  const declared = await post(Buffer.alloc(65 * 1024, 1), PROTO)
  t.equal(declared.status, 413)
  // Chunked, no content-length: the limit is enforced while reading.
  const streamed = await new Promise<number>((resolve, reject) => {
    const req = request(tracesUrl, { method: 'POST', headers: PROTO }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', (err) => (/EPIPE|ECONNRESET/.test(String(err)) ? undefined : reject(err)))
    for (let i = 0; i < 20; i++) req.write(Buffer.alloc(8 * 1024, 2))
    req.end()
  })
  t.equal(streamed, 413)
  const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024))
  t.ok(bomb.length < 64 * 1024, 'the compressed body itself is small')
  const inflated = await post(bomb, { ...PROTO, 'content-encoding': 'gzip' })
  t.equal(inflated.status, 413)
  const notGzip = await post(Buffer.from('definitely not gzip'), { ...PROTO, 'content-encoding': 'gzip' })
  t.equal(notGzip.status, 400)
  await stillServes(t)
})

t.test('gzip bodies are accepted', async (t) => {
  const traceId = hexId(16)
  const res = await post(gzipSync(validProtobufBody(traceId)), { ...PROTO, 'content-encoding': 'gzip' })
  t.equal(res.status, 200)
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceId}`)).status, 200)
})

t.test('spans with invalid ids are refused one by one (partial success), the rest stored', async (t) => {
  const good = hexId(16)
  const body = jsonTraceRequest({
    partial: [
      { traceId: good, spanId: hexId(8), name: 'good', startMs: 1_700_000_000_000, durationMs: 5 },
      { traceId: 'not-hex', spanId: hexId(8), name: 'bad trace id', startMs: 1_700_000_000_000, durationMs: 5 },
      { traceId: hexId(16), spanId: '0000000000000000', name: 'zero span id', startMs: 1_700_000_000_000, durationMs: 5 },
    ],
  })
  const res = await postJson(tracesUrl, body)
  t.equal(res.status, 200)
  t.equal(res.body.partialSuccess.rejectedSpans, 2)
  t.match(res.body.partialSuccess.errorMessage, /traceId must be 16 bytes/)
  t.match(res.body.partialSuccess.errorMessage, /spanId must be 8 bytes/)
  const stored = await getJson(`${collector.apiUrl}/api/traces/${good}`)
  t.equal(stored.body.spans.length, 1)

  // The same in protobuf: the response is an ExportTraceServiceResponse with partial_success.
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from('abcd', 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'short id' }] }] }],
  })
  const proto = await fetch(tracesUrl, { method: 'POST', headers: PROTO, body: ExportTraceServiceRequest.encode(message).finish() })
  t.equal(proto.status, 200)
  t.equal(proto.headers.get('content-type'), 'application/x-protobuf')
  const decoded = ExportTraceServiceResponse.decode(new Uint8Array(await proto.arrayBuffer())) as {
    partialSuccess: { rejectedSpans: { toNumber(): number }; errorMessage: string }
  }
  t.equal(Number(decoded.partialSuccess.rejectedSpans), 1)
  t.match(decoded.partialSuccess.errorMessage, /traceId must be 16 bytes/)
})

t.test('wrong method and unknown paths', async (t) => {
  const get = await fetch(tracesUrl)
  t.equal(get.status, 405)
  t.equal(get.headers.get('allow'), 'POST')
  await get.text()
  const metrics = await post('{}', { 'content-type': 'application/json' }, `${collector.otlpUrl}/v1/metrics`)
  t.equal(metrics.status, 404)
})

t.test('too many bodies in flight at once: 429 with Retry-After', async (t) => {
  // Hold a request open with 90 KiB declared (of the 100 KiB in-flight budget) and send only part of it.
  const slow = request(tracesUrl, { method: 'POST', headers: { ...PROTO, 'content-length': String(60 * 1024) } })
  slow.on('error', () => {})
  slow.write(Buffer.alloc(1024))
  await new Promise((resolve) => setTimeout(resolve, 200))
  const second = await post(Buffer.alloc(60 * 1024 - 1, 0), PROTO)
  t.equal(second.status, 429)
  t.equal(second.headers.get('retry-after'), '1')
  slow.destroy()
  await new Promise((resolve) => setTimeout(resolve, 100))
  await stillServes(t)
})

// Held by a second SQLite connection; ClickHouse's outage is proven in collectors-share-one-clickhouse.test.ts.
const onClickHouse =
  testStoreKind() === 'clickhouse' && 'the write lock is a SQLite file lock (the ClickHouse outage is in collectors-share-one-clickhouse.test.ts)'
t.test('a store that cannot write answers 503 with Retry-After, then recovers', { skip: onClickHouse }, async (t) => {
  // Another process (here: connection) holds the database's write lock.
  const blocker = new Database(join(collector.dataDir, 'tracecar.db'))
  blocker.pragma('busy_timeout = 5000')
  blocker.exec('BEGIN IMMEDIATE')
  const blocked = await post(validProtobufBody(), PROTO)
  t.equal(blocked.status, 503)
  t.equal(blocked.headers.get('retry-after'), '1')
  const right_after = await post(validProtobufBody(), PROTO)
  t.equal(right_after.status, 503, 'answered at once while the store is marked unavailable')
  blocker.exec('ROLLBACK')
  blocker.close()
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await stillServes(t)
})

t.test('gRPC: a malformed message is INVALID_ARGUMENT and the server keeps serving', async (t) => {
  const client = new grpc.Client(`127.0.0.1:${collector.collector.ports.otlpGrpc}`, grpc.credentials.createInsecure())
  t.teardown(() => client.close())
  const call = (bytes: Uint8Array): Promise<{ err: grpc.ServiceError | null; value?: Buffer }> =>
    new Promise((resolve) => {
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => b,
        bytes,
        (err, value) => resolve({ err, value }),
      )
    })
  const bad = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))
  t.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT)
  t.match(bad.err?.details, /not a valid ExportTraceServiceRequest: .*runs past the end/)
  const traceId = hexId(16)
  const good = await call(validProtobufBody(traceId))
  t.equal(good.err, null)
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceId}`)).status, 200)
})

t.test('a time at or beyond 2^63 ns is refused with its record; the rest of the batch and every other sender are served', async (t) => {
  const good = hexId(16)
  const bad = hexId(16)
  const body = jsonTraceRequest({
    overflow: [
      { traceId: good, spanId: hexId(8), name: 'good', startMs: 1_700_000_000_000, durationMs: 5 },
      { traceId: bad, spanId: hexId(8), name: 'from the far future', startMs: 1_700_000_000_000, durationMs: 5 },
    ],
  }) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }
  body.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.endTimeUnixNano = '18446744073709551615'
  const res = await postJson(tracesUrl, body)
  t.equal(res.status, 200, 'not a 503 for the whole batch')
  t.equal(res.body.partialSuccess?.rejectedSpans, 1)
  t.match(res.body.partialSuccess?.errorMessage, /endTimeUnixNano .*below 2\^63/)
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${good}`)).status, 200, 'the good span is stored')
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${bad}`)).status, 404)

  // A bit flip in a protobuf fixed64: the top bit set.
  const flipped = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: Buffer.from(hexId(16), 'hex'),
                spanId: Buffer.from(hexId(8), 'hex'),
                name: 'flipped',
                startTimeUnixNano: '10923372036854775807',
                endTimeUnixNano: '10923372036854775808',
              },
            ],
          },
        ],
      },
    ],
  })
  const proto = await post(ExportTraceServiceRequest.encode(flipped).finish(), PROTO)
  t.equal(proto.status, 200)
  // Right after it, another exporter is not refused (no back-off was started).
  await stillServes(t)

  // Log records: the same rule for timeUnixNano and observedTimeUnixNano, and flags must fit 32 bits.
  const logs = await postJson(`${collector.otlpUrl}/v1/logs`, {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'overflow' } }] },
        scopeLogs: [
          {
            logRecords: [
              { timeUnixNano: '18446744073709551615', body: { stringValue: 'far future' } },
              { timeUnixNano: '1700000000000000000', observedTimeUnixNano: '9223372036854775808', body: { stringValue: 'far future observed' } },
              { timeUnixNano: '1700000000000000000', flags: 1e300, body: { stringValue: 'huge flags' } },
              { timeUnixNano: '1700000000000000000', body: { stringValue: 'kept' } },
            ],
          },
        ],
      },
    ],
  })
  t.equal(logs.status, 200)
  t.equal(logs.body.partialSuccess?.rejectedLogRecords, 3)
  const kept = await getJson(`${collector.apiUrl}/api/logs?service=overflow`)
  t.same(
    kept.body.logs.map((l: { body: string }) => l.body),
    ['kept'],
  )
})

t.test('an OTLP/JSON attribute nested 10,000 levels deep is a 400 that names the limit, and the collector keeps serving', async (t) => {
  // ~450 KB: over this file's collector's body limit, so one with the default limit.
  const roomy = await startTestCollector()
  t.teardown(() => roomy.close())
  // Written as text: JSON.stringify itself cannot go that deep.
  const levels = 10_000
  const deep = '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(levels) + '{"stringValue":"bottom"}' + '}]}}'.repeat(levels)
  const span = `{"traceId":"${hexId(16)}","spanId":"${hexId(8)}","name":"deep","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000005000000","attributes":[{"key":"deep","value":${deep}}]}`
  const res = await post(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`, { 'content-type': 'application/json' }, `${roomy.otlpUrl}/v1/traces`)
  t.equal(res.status, 400)
  t.match(JSON.parse(res.text).message, /more than 32 levels deep/)
  const log = `{"timeUnixNano":"1700000000000000000","body":${deep}}`
  const logs = await post(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[${log}]}]}]}`, { 'content-type': 'application/json' }, `${roomy.otlpUrl}/v1/logs`)
  t.equal(logs.status, 400, 'a log body too')
  t.match(JSON.parse(logs.text).message, /more than 32 levels deep/)
  const traceId = hexId(16)
  t.equal((await post(validProtobufBody(traceId), PROTO, `${roomy.otlpUrl}/v1/traces`)).status, 200, 'and it keeps serving')
})

t.test('an OTLP/protobuf attribute nested 1,000 levels deep is a 400 that names the limit, over HTTP and gRPC', async (t) => {
  // AnyValue.kvlist_value (6) > KeyValueList.values (1) > KeyValue {key (1), value (2)}, a string at the bottom.
  let value = lengthField(1, 'bottom')
  for (let level = 0; level < 1000; level++) value = lengthField(6, lengthField(1, lengthField(1, 'k'), lengthField(2, value)))
  const span = Buffer.concat([
    lengthField(1, Buffer.from(hexId(16), 'hex')),
    lengthField(2, Buffer.from(hexId(8), 'hex')),
    fixed64Field(7, 1_700_000_000_000_000_000n),
    lengthField(9, lengthField(1, 'deep'), lengthField(2, value)),
  ])
  // ExportTraceServiceRequest.resource_spans (1) > ResourceSpans.scope_spans (2) > ScopeSpans.spans (2).
  const body = lengthField(1, lengthField(2, lengthField(2, span)))
  const res = await post(body, PROTO)
  t.equal(res.status, 400)
  t.match(res.text, /more than 32 levels deep/)
  const client = new grpc.Client(`127.0.0.1:${collector.collector.ports.otlpGrpc}`, grpc.credentials.createInsecure())
  t.teardown(() => client.close())
  const err = await new Promise<grpc.ServiceError | null>((resolve) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      (e) => resolve(e),
    )
  })
  t.equal(err?.code, grpc.status.INVALID_ARGUMENT)
  t.match(err?.details, /more than 32 levels deep/)
  await stillServes(t)
})
