/**
 * The OpenTelemetry JS SDK's own OTLP exporters (protobuf, JSON and gRPC; a
 * client no one here wrote) send spans and logs; the query API returns them
 * as they were sent.
 */
import t from 'tap'
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { Span } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import type { LogRecordExporter } from '@opentelemetry/sdk-logs'
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { getJson, hexId, startTestCollector } from './helpers.js'

const KIND_NAMES = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']

function nanos(hr: [number, number]): string {
  return (BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1])).toString()
}

/** Records a small two-span trace under a remote parent carrying a tracestate, exports it, returns what the SDK sent. */
async function sendTrace(exporter: SpanExporter, service: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '2.1.0', 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('tracecar-test', '0.9.1')
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: hexId(16),
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('tenant=blue,vendor=t61rcWkgMzE'),
  })
  const linkedContext = { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1 }
  const server: Span = tracer.startSpan(
    'POST /cart',
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': 201, 'app.ratio': 0.25, 'app.cached': false, 'app.tags': ['a', 'b'] },
      links: [{ context: linkedContext, attributes: { 'link.reason': 'batch' } }],
    },
    remoteParent,
  )
  server.addEvent('cart.validated', { 'cart.items': 3 })
  const client = tracer.startSpan('GET /stock', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'stock' } }, trace.setSpan(context.active(), server))
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'stock said 503' })
  client.end()
  server.setStatus({ code: SpanStatusCode.OK })
  server.end()
  await provider.forceFlush()
  // Read before shutdown: shutting the in-memory exporter down empties it.
  const finished = memory.getFinishedSpans()
  await provider.shutdown()
  return finished
}

async function sendLogs(exporter: LogRecordExporter, service: string, spanTraceId: string, spanId: string): Promise<void> {
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': service }), processors: [new SimpleLogRecordProcessor(exporter)] })
  const logger = provider.getLogger('tracecar-test-logs')
  const spanContext = trace.setSpanContext(context.active(), { traceId: spanTraceId, spanId, traceFlags: 1 })
  logger.emit({
    body: 'cart saved',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    attributes: { 'cart.id': 'c-1', count: 2 },
    context: spanContext,
  })
  logger.emit({ body: `legacy access log line trace_id=${spanTraceId} status=201`, severityNumber: SeverityNumber.WARN, severityText: 'WARN' })
  await provider.forceFlush()
  await provider.shutdown()
}

const collector = await startTestCollector()
t.teardown(() => collector.close())

const exporters: Array<[string, () => SpanExporter, () => LogRecordExporter]> = [
  ['proto', () => new ProtoTraceExporter({ url: `${collector.otlpUrl}/v1/traces` }), () => new ProtoLogExporter({ url: `${collector.otlpUrl}/v1/logs` })],
  ['json', () => new JsonTraceExporter({ url: `${collector.otlpUrl}/v1/traces` }), () => new JsonLogExporter({ url: `${collector.otlpUrl}/v1/logs` })],
  ['grpc', () => new GrpcTraceExporter({ url: collector.grpcUrl }), () => new GrpcLogExporter({ url: collector.grpcUrl })],
]

for (const [protocol, traceExporter, logExporter] of exporters) {
  t.test(`spans sent by the SDK's ${protocol} exporter come back as sent`, async (t) => {
    const service = `cart-${protocol}`
    const sent = await sendTrace(traceExporter(), service)
    t.equal(sent.length, 2)
    const traceId = sent[0]!.spanContext().traceId
    const { status, body } = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
    t.equal(status, 200)
    t.equal(body.traceId, traceId)
    t.equal(body.spans.length, 2)
    // The remote parent never reaches the collector: the trace is shown with a note, not refused.
    t.match(body.warnings, [/has parent b7ad6b7169203331 which is not in the trace/])
    const serverSent = sent.find((s) => s.name === 'POST /cart')!
    const [serverGot, clientGot] = body.spans
    t.equal(serverGot.name, 'POST /cart', 'parent first')
    t.equal(clientGot.parentSpanId, serverGot.spanId, 'child after its parent')
    for (const s of sent) {
      const got = body.spans.find((g: { spanId: string }) => g.spanId === s.spanContext().spanId)
      t.ok(got, `span ${s.name} stored`)
      t.equal(got.traceId, traceId)
      t.equal(got.parentSpanId, s.parentSpanContext?.spanId ?? null)
      t.equal(got.kind, KIND_NAMES[s.kind])
      t.equal(got.service, service)
      t.equal(got.startTimeUnixNano, nanos(s.startTime), `${s.name} start time exact to the nanosecond`)
      t.equal(got.endTimeUnixNano, nanos(s.endTime))
      t.equal(got.traceState, 'tenant=blue,vendor=t61rcWkgMzE')
      t.same(got.scope, { name: 'tracecar-test', version: '0.9.1' })
      t.same(got.resource, { 'service.name': service, 'service.version': '2.1.0', 'deployment.environment.name': 'test', ...sdkResourceExtras(got.resource) })
    }
    t.same(serverGot.attributes, {
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'app.ratio': 0.25,
      'app.cached': false,
      'app.tags': ['a', 'b'],
    })
    t.same(serverGot.status, { code: 'OK', message: '' })
    t.same(clientGot.status, { code: 'ERROR', message: 'stock said 503' })
    t.equal(serverGot.events.length, 1)
    t.equal(serverGot.events[0].name, 'cart.validated')
    t.same(serverGot.events[0].attributes, { 'cart.items': 3 })
    t.same(serverGot.links, [
      { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceState: '', attributes: { 'link.reason': 'batch' } },
    ])
    const sentDurationMs = Number(BigInt(nanos(serverSent.endTime)) - BigInt(nanos(serverSent.startTime))) / 1e6
    t.ok(Math.abs(serverGot.durationMs - sentDurationMs) < 1e-9, `durationMs ${serverGot.durationMs} is the sent ${sentDurationMs}`)

    const search = await getJson(`${collector.apiUrl}/api/traces?service=${service}`)
    t.equal(search.status, 200)
    t.equal(search.body.traces.length, 1)
    t.match(search.body.traces[0], { traceId, rootService: service, rootOperation: 'POST /cart', spanCount: 2, errorCount: 1, services: [service] })

    const ops = await getJson(`${collector.apiUrl}/api/services/${service}/operations`)
    t.same(ops.body.operations, [
      { name: 'GET /stock', spanKind: 'CLIENT' },
      { name: 'POST /cart', spanKind: 'SERVER' },
    ])
  })

  t.test(`logs sent by the SDK's ${protocol} exporter come back linked to their trace`, async (t) => {
    const traceId =
      protocol === 'proto' ? '11111111111111111111111111111111' : protocol === 'json' ? '22222222222222222222222222222222' : '33333333333333333333333333333333'
    await sendLogs(logExporter(), `logs-${protocol}`, traceId, 'cccccccccccccccc')
    const { status, body } = await getJson(`${collector.apiUrl}/api/traces/${traceId}/logs`)
    t.equal(status, 200)
    t.equal(body.logs.length, 2, 'the structured record and the one naming the trace in its text')
    const structured = body.logs.find((l: { body: string }) => l.body === 'cart saved')
    t.match(structured, {
      traceId,
      spanId: 'cccccccccccccccc',
      severityText: 'INFO',
      severityNumber: 9,
      service: `logs-${protocol}`,
      attributes: { 'cart.id': 'c-1', count: 2 },
    })
    t.equal(structured.resource['service.name'], `logs-${protocol}`)
    const textual = body.logs.find((l: { body: string }) => l.body.startsWith('legacy'))
    t.match(textual, { traceId, spanId: '', severityText: 'WARN', severityNumber: 13 })
    const bySpan = await getJson(`${collector.apiUrl}/api/traces/${traceId}/logs?spanId=cccccccccccccccc`)
    t.equal(bySpan.body.logs.length, 1)
    const search = await getJson(`${collector.apiUrl}/api/logs?service=logs-${protocol}&q=ACCESS%20LOG`)
    t.equal(search.body.logs.length, 1, 'text search is case-insensitive')
  })
}

/** The SDK adds telemetry.sdk.* resource attributes; they must arrive too, whatever their values. */
function sdkResourceExtras(resource: Record<string, unknown>): Record<string, unknown> {
  const extras: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(resource)) if (k.startsWith('telemetry.sdk.')) extras[k] = v
  return extras
}
