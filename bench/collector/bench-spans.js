// The collector benchmark's spans: traces made with the OpenTelemetry JS SDK,
// one provider (resource) per service, handed out in batches of 512 finished
// spans as an SDK's batch processor would export them. Shared by run.js and
// otlp-decode.bench.js, so that both measure the same requests.
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api'

export const BATCH = 512
const SPANS_PER_TRACE = 8
export const SERVICES = ['frontend', 'checkout', 'payments', 'inventory', 'shipping', 'users', 'search', 'email']
export const ROUTES = ['GET /api/items/:id', 'POST /api/cart', 'GET /api/cart', 'POST /api/checkout', 'GET /healthz', 'GET /api/search']

/** Finished SDK spans, collected in batches: one provider (resource) per service. */
/**
 * `calls`: traces call across services, CLIENT spans one batch late (run.js --calls).
 * `scattered`: traces start over the last hour (run.js --scattered).
 */
export function makeBatchSource(args = {}) {
  let pending = []
  // --calls: CLIENT spans (the parents of calls to other services) wait for the next batch.
  let carried = []
  const processor = {
    onStart() {},
    onEnd(span) {
      if (args.calls && span.kind === SpanKind.CLIENT) carried.push(span)
      else pending.push(span)
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const tracers = SERVICES.map((service) => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.version': '1.4.2',
        'host.name': `${service}-7f9c`,
        'deployment.environment.name': 'bench',
      }),
      spanProcessors: [processor],
    })
    return provider.getTracer('tracecar-bench', '1.0.0')
  })
  let traceNo = 0
  let batchNo = 0
  // --scattered: a trace's start, spread over the hour before the run by a fixed sequence (the same runs compare).
  let seed = 12345
  const hourAgoMs = Date.now() - 3_600_000
  const scatteredStartMs = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return hourAgoMs + (seed / 2 ** 32) * 3_600_000
  }
  const knownTraceIds = []
  /** One batch of 512 spans: 64 traces of 8 spans, all from one service (one resource per request, as an SDK sends). */
  function nextBatch() {
    pending = carried
    carried = []
    const serviceNo = batchNo++ % tracers.length
    const tracer = tracers[serviceNo]
    while (pending.length < BATCH) {
      const n = traceNo++
      const route = ROUTES[n % ROUTES.length]
      const status = n % 50 === 0 ? 500 : 200
      // Span times when scattered: the root at the trace's start, each child a little later, all ending by +5 ms.
      const t0 = args.scattered ? scatteredStartMs() : undefined
      const at = (offsetMs) => (t0 === undefined ? undefined : t0 + offsetMs)
      const rootSpan = tracer.startSpan(route, {
        kind: SpanKind.SERVER,
        startTime: at(0),
        attributes: {
          'http.request.method': route.split(' ')[0],
          'http.route': route.split(' ')[1],
          'url.path': `/api/items/${n}`,
          'http.response.status_code': status,
          'client.address': `10.0.${n % 256}.${n % 200}`,
          'user_agent.original': 'bench/1.0',
          'customer.tier': n % 10 === 0 ? 'gold' : 'standard',
        },
      })
      if (status === 500) rootSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' })
      const ctx = trace.setSpan(context.active(), rootSpan)
      for (let i = 1; i < SPANS_PER_TRACE; i++) {
        if (args.calls) {
          // A call: the root's CLIENT span, and the called service's SERVER span under it.
          const call = tracer.startSpan(
            `GET /internal/${i}`,
            { kind: SpanKind.CLIENT, startTime: at(i * 0.1), attributes: { 'server.address': 'internal' } },
            ctx,
          )
          if (++i < SPANS_PER_TRACE) {
            const callee = tracers[(serviceNo + i) % tracers.length]
            callee.startSpan(`GET /internal/${i - 1}`, { kind: SpanKind.SERVER, startTime: at(i * 0.1) }, trace.setSpan(ctx, call)).end(at(i * 0.1 + 1))
          }
          call.end(at(i * 0.1 + 2))
          continue
        }
        const child = tracer.startSpan(
          i % 2 ? `SELECT items ${i}` : `GET /internal/${i}`,
          {
            kind: i % 2 ? SpanKind.CLIENT : SpanKind.INTERNAL,
            startTime: at(i * 0.1),
            attributes: { 'db.system': 'postgresql', 'server.address': 'db', 'server.port': 5432, 'db.operation.name': 'SELECT' },
          },
          ctx,
        )
        child.end(at(i * 0.1 + 1))
      }
      rootSpan.end(at(5))
      if (n % 97 === 0) knownTraceIds.push(rootSpan.spanContext().traceId)
    }
    return pending
  }
  return { nextBatch, knownTraceIds }
}
