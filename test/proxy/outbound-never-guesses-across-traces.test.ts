import t from 'tap'
import { ProxyAgent, request as undiciRequest } from 'undici'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import { compileExclusions } from '../../src/proxy/outbound-exclusions.js'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

const destination = await startHttpServer((_req, res) => res.end('ok'))

// The service holds each request until `expected` of them are in flight, then
// calls the destination through the outbound proxy copying only x-request-id.
const expected = 2
let waiting: Array<() => void> = []
let agent: ProxyAgent
const service = await startHttpServer((req, res) => {
  const go = (): void => {
    void undiciRequest(`${destination.url}/for/${String(req.headers['x-test'])}`, {
      dispatcher: agent,
      headers: { 'x-request-id': String(req.headers['x-request-id']) },
    })
      .then((answer) => answer.body.text())
      .then(() => res.end('done'))
  }
  waiting.push(go)
  if (waiting.length >= expected) {
    const all = waiting
    waiting = []
    for (const run of all) run()
  }
})
const sidecar = await startTestSidecar(service.url, ['--outbound-join', 'context,correlation,sole-inbound'])
agent = new ProxyAgent({ uri: `http://127.0.0.1:${sidecar.sidecar.outbound!.forward.port}`, proxyTunnel: false })
t.teardown(async () => {
  await agent.close()
  await sidecar.close()
  await service.close()
  await destination.close()
})

const T1 = '4bf92f3577b34da6a3ce929d0e0e4736'
const T2 = 'aaaabbbbccccddddeeeeffff00001111'

async function twoAtOnce(first: { trace: string; parent: string }, second: { trace: string; parent: string }, tag: string) {
  const before = sidecar.spans.spans.length
  await Promise.all(
    [first, second].map((ctx, i) =>
      request(`${sidecar.url}/work`, {
        headers: { 'x-request-id': `dup-${tag}`, 'x-test': `${tag}-${i}`, traceparent: `00-${ctx.trace}-${ctx.parent}-01` },
      }),
    ),
  )
  await sidecar.spans.waitFor(before + 4)
  return sidecar.spans.spans.slice(before).filter((s) => s.kind === 3)
}

t.test('two requests in different traces with the same client-chosen x-request-id: the call is not guessed into either', async (t) => {
  const clients = await twoAtOnce({ trace: T1, parent: '00f067aa0ba902b7' }, { trace: T2, parent: '1111222233334444' }, 'a')
  t.equal(clients.length, 2)
  for (const span of clients) {
    t.equal(span.attributes['tracecar.join.rule'], 'none', 'ambiguous correlation, two in flight: rule 4')
    t.not(span.traceId, T1)
    t.not(span.traceId, T2)
    t.equal(span.parentSpanId, '')
  }
  const metrics = (await request(`${sidecar.adminUrl}/metrics`)).body
  t.match(metrics, /tracecar_outbound_unjoined_total 2\b/)
})

t.test('the same x-request-id within one trace is still a join: the trace is right either way', async (t) => {
  const clients = await twoAtOnce({ trace: T1, parent: '00f067aa0ba902b7' }, { trace: T1, parent: '1111222233334444' }, 'b')
  for (const span of clients) {
    t.equal(span.attributes['tracecar.join.rule'], 'correlation')
    t.equal(span.traceId, T1)
  }
})

t.test('exclusions follow NO_PROXY conventions', async (t) => {
  const excluded = compileExclusions(['example.com', '.corp.internal', '*.svc.cluster.local', '10.0.0.0/8', '192.168.1.7', 'metadata:8080', '[::1]:9000'])
  const cases: Array<[string, number, boolean]> = [
    ['example.com', 80, true],
    ['api.example.com', 443, true],
    ['API.Example.COM', 80, true],
    ['badexample.com', 80, false],
    ['corp.internal', 80, true],
    ['git.corp.internal', 80, true],
    ['payments.default.svc.cluster.local', 8080, true],
    ['10.20.30.40', 80, true],
    ['11.0.0.1', 80, false],
    ['192.168.1.7', 1234, true],
    ['192.168.1.8', 1234, false],
    ['metadata', 8080, true],
    ['metadata', 80, false],
    ['::1', 9000, true],
    ['::1', 9001, false],
  ]
  for (const [host, port, want] of cases) t.equal(excluded(host, port), want, `${host}:${port}`)
  t.ok(compileExclusions(['*'])('anything', 1), '* excludes everything')
  t.notOk(compileExclusions([])('example.com', 80), 'nothing excluded by default')
  for (const bad of ['exa mple.com', '10.0.0.0/33', 'host:99999', 'http://example.com']) {
    t.throws(() => loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1', '--outbound-exclude', bad], env: {} }), /outbound\.exclude/, bad)
  }
})
