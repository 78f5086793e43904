// The known data the UI tests look for: a slow checkout trace with an error and logs, a fast
// trace, a trace whose names and attributes try to inject markup, and a 10,000-span trace.
import { hexId, type TestLog, type TestSpan } from './otlp-json'

export interface Fixture {
  t0: number
  checkout: { traceId: string; root: TestSpan; cartClient: TestSpan; cartServer: TestSpan; pay: TestSpan; audit: TestSpan; stock: TestSpan }
  fast: { traceId: string }
  xss: { traceId: string; spanId: string }
  big: { traceId: string; spanCount: number; lastSpanName: string }
  spans: TestSpan[]
  bigSpans: TestSpan[]
  logs: TestLog[]
}

export const XSS_IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
export const XSS_SCRIPT = '<script>window.__xss=(window.__xss||0)+1</script>'
export const XSS_URL = 'javascript:window.__xss=(window.__xss||0)+1'

export function buildFixture(now = Date.now()): Fixture {
  const t0 = now - 120_000
  const traceId = hexId('aa', 32)
  const root: TestSpan = {
    traceId,
    spanId: hexId('a1', 16),
    service: 'frontend',
    name: 'GET /checkout',
    kind: 'SERVER',
    startMs: t0,
    durationMs: 500,
    attributes: { 'http.request.method': 'GET', 'url.path': '/checkout', 'http.response.status_code': 200, 'docs.url': 'https://example.com/runbook' },
    events: [
      { name: 'connection ready', atMs: t0 + 1 },
      { name: 'request sent', atMs: t0 + 2 },
      { name: 'first byte', atMs: t0 + 490 },
    ],
  }
  const cartClient: TestSpan = {
    traceId,
    spanId: hexId('a2', 16),
    parentSpanId: root.spanId,
    service: 'frontend',
    name: 'POST /cart',
    kind: 'CLIENT',
    startMs: t0 + 10,
    durationMs: 400,
    attributes: { 'http.request.method': 'POST' },
  }
  const cartServer: TestSpan = {
    traceId,
    spanId: hexId('a3', 16),
    parentSpanId: cartClient.spanId,
    service: 'checkout',
    name: 'POST /cart',
    kind: 'SERVER',
    startMs: t0 + 20,
    durationMs: 380,
    attributes: { 'cart.items': 3, 'http.response.status_code': 200 },
  }
  const pay: TestSpan = {
    traceId,
    spanId: hexId('a4', 16),
    parentSpanId: cartServer.spanId,
    service: 'payments',
    name: 'POST /pay',
    kind: 'SERVER',
    startMs: t0 + 100,
    durationMs: 290,
    attributes: { 'payment.provider': 'acme', 'http.response.status_code': 502 },
    error: 'card processor timed out',
  }
  // Runs beside the payment call and ends long before it: not on the critical path.
  const audit: TestSpan = {
    traceId,
    spanId: hexId('a6', 16),
    parentSpanId: cartServer.spanId,
    service: 'checkout',
    name: 'audit write',
    kind: 'INTERNAL',
    startMs: t0 + 110,
    durationMs: 40,
  }
  const stock: TestSpan = {
    traceId,
    spanId: hexId('a5', 16),
    parentSpanId: root.spanId,
    service: 'inventory',
    name: 'GET /stock',
    kind: 'SERVER',
    startMs: t0 + 420,
    durationMs: 60,
    attributes: { 'stock.sku': 'sku-42' },
  }
  const fastId = hexId('bb', 32)
  const fast: TestSpan = {
    traceId: fastId,
    spanId: hexId('b1', 16),
    service: 'frontend',
    name: 'GET /health',
    startMs: t0 + 5_000,
    durationMs: 3,
    traceState: 'tracecar=run-ui1,other=x',
  }

  const xssId = hexId('cc', 32)
  const xssSpan: TestSpan = {
    traceId: xssId,
    spanId: hexId('c1', 16),
    service: 'evil-svc',
    name: XSS_IMG,
    startMs: t0 + 10_000,
    durationMs: 20,
    attributes: { 'evil.html': XSS_IMG, 'evil.script': XSS_SCRIPT, 'evil.url': XSS_URL },
  }

  // 10,000 spans: a 4-ary tree (depth 7), each child inside its parent's time.
  const bigId = hexId('dd', 32)
  const bigSpans: TestSpan[] = []
  const count = 10_000
  for (let i = 0; i < count; i++) {
    const parent = i === 0 ? undefined : bigSpans[Math.floor((i - 1) / 4)]!
    const slot = (i - 1) % 4
    const startMs = parent ? parent.startMs + (parent.durationMs / 4) * slot : t0 + 20_000
    const durationMs = parent ? parent.durationMs / 4 : 2_000
    bigSpans.push({
      traceId: bigId,
      spanId: hexId('d', 16),
      parentSpanId: parent?.spanId,
      service: ['api', 'db', 'cache', 'queue'][i % 4]!,
      name: `op ${i}`,
      kind: 'INTERNAL',
      startMs,
      durationMs,
      attributes: { index: i },
    })
  }

  const logs: TestLog[] = [
    { traceId, spanId: cartServer.spanId, service: 'checkout', timeMs: t0 + 30, severityNumber: 9, severityText: 'INFO', body: 'cart saved items=3' },
    { traceId, spanId: pay.spanId, service: 'payments', timeMs: t0 + 200, severityNumber: 13, severityText: 'WARN', body: 'card processor slow, retrying' },
    { traceId, spanId: pay.spanId, service: 'payments', timeMs: t0 + 380, severityNumber: 17, severityText: 'ERROR', body: 'card processor timed out' },
    // An access log line: the trace id only, no span id (what the demo's services write).
    { traceId, service: 'inventory', timeMs: t0 + 479, severityNumber: 9, severityText: 'INFO', body: `"GET /stock HTTP/1.1" 200 trace_id=${traceId}` },
    {
      traceId: xssId,
      spanId: xssSpan.spanId,
      service: 'evil-svc',
      timeMs: t0 + 10_005,
      severityNumber: 9,
      severityText: 'INFO',
      body: `${XSS_SCRIPT} ${XSS_IMG}`,
    },
  ]

  return {
    t0,
    checkout: { traceId, root, cartClient, cartServer, pay, audit, stock },
    fast: { traceId: fastId },
    xss: { traceId: xssId, spanId: xssSpan.spanId },
    big: { traceId: bigId, spanCount: count, lastSpanName: `op ${lastInDepthFirst(count)}` },
    spans: [root, cartClient, cartServer, pay, audit, stock, fast, xssSpan],
    bigSpans,
    logs,
  }
}

/** The last row of a depth-first walk of the 4-ary tree: always the last child. */
function lastInDepthFirst(count: number): number {
  let i = 0
  for (;;) {
    const last = Math.min(4 * i + 4, count - 1)
    if (4 * i + 1 > count - 1) return i
    i = last
  }
}
