import t from 'tap'
import { callConcurrently, classifyHops, gunicornMissing, gunicornService, spanPath, startChain } from './outbound-chain.js'
import type { Chain } from './outbound-chain.js'
import { request } from '../helpers/servers.js'

// Legacy services that forward nothing, under real concurrency. Three WSGI
// services under Debian's gunicorn (4 sync worker processes each), chained
// through their sidecars, calling on with python3-requests through HTTP_PROXY;
// the worker-process rule finds, from /proc, which worker made each call and
// the one request that worker serves. Then a Node service that serves many
// requests at once in one process: the rule must decline, and say so.

// Three chains of real processes on a machine that may be busy: more than tap's default per file.
t.setTimeout(480_000)

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** The decline counters of each sidecar but the last, as `rule/reason=n` text. */
async function declines(chain: Chain): Promise<string> {
  const out: string[] = []
  for (const sidecar of chain.sidecars.slice(0, -1)) {
    const text = (await request(`${sidecar.adminUrl}/metrics`)).body
    const lines = text.split('\n').filter((l) => l.startsWith('tracecar_outbound_join_declines_total{'))
    out.push(lines.map((l) => `${/rule="(\w+)",reason="(\w+)"/.exec(l)?.slice(1).join('/')}=${l.slice(l.lastIndexOf(' ') + 1)}`).join(' ') || 'none')
  }
  return out.join('; ')
}

/** A counter's value on a sidecar's /metrics (0 when absent). */
async function metricValue(adminUrl: string, name: string, labels: string): Promise<number> {
  const text = (await request(`${adminUrl}/metrics`)).body
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

const missing = gunicornMissing()

t.test('gunicorn sync workers, 8 concurrent clients, nothing forwarded: every hop joined to its own request', { skip: missing ?? false }, async (t) => {
  const chain: Chain = await startChain(['wsgi-a', 'wsgi-b', 'wsgi-c'], {
    join: 'context,correlation,worker-process',
    service: gunicornService({ workers: 4, delayMs: 5 }),
  })
  t.teardown(() => chain.stop())
  const requestIds = ids('w', 150)
  const statuses = await callConcurrently(chain, 'nothing', requestIds, 8)
  t.ok(
    statuses.every((s) => s === 200),
    'every request answered 200',
  )
  await chain.waitForRequests('nothing', requestIds)
  const hops = classifyHops(chain, 'nothing', requestIds)
  t.comment(
    `join rules context,correlation,worker-process; gunicorn 4 sync workers; 150 requests, 8 concurrent, forwarding nothing: ${JSON.stringify(hops)}; declines per sidecar: ${await declines(chain)}`,
  )
  t.equal(hops.wrong, 0, 'no hop parented to another request')
  t.ok(hops.joined >= Math.ceil(0.99 * 300), `at least 99% of the 300 hops joined (${hops.joined})`)
  t.equal(hops.byRule.worker_process, hops.joined, 'joined by the worker-process rule')
  const clients = chain.spans().filter((s) => s.kind === 3 && s.attributes['tracecar.join.rule'] === 'worker_process')
  t.ok(clients.length > 0 && clients.every((s) => s.attributes['tracecar.join.inferred'] === true), 'every such link says it was inferred')
})

t.test(
  'gunicorn, every 4th client giving up after 10 ms while the worker carries on: no call handed to another request',
  { skip: missing ?? false },
  async (t) => {
    // sole-inbound after worker-process: what the first declines, the second must not misjoin either.
    const chain: Chain = await startChain(['wsgi-d', 'wsgi-e', 'wsgi-f'], {
      join: 'context,correlation,worker-process,sole-inbound',
      service: gunicornService({ workers: 4, delayMs: 20 }),
    })
    t.teardown(() => chain.stop())
    const requestIds = ids('g', 100)
    const statuses = await callConcurrently(chain, 'nothing', requestIds, 8, { everyNth: 4, afterMs: 10 })
    const abandoned = statuses.filter((s) => s === 0).length
    t.ok(abandoned >= 18, `clients gave up on ${abandoned} requests`)
    await chain.waitForQuiet(2000)
    const hops = classifyHops(chain, 'nothing', requestIds, { allowUncalled: true })
    t.comment(
      `join rules context,correlation,worker-process,sole-inbound; gunicorn 4 sync workers; 100 requests, 8 concurrent, every 4th client aborting after 10 ms: ${JSON.stringify(hops)}; declines per sidecar: ${await declines(chain)}`,
    )
    t.equal(hops.wrong, 0, 'no late call parented to another request')
    t.ok(hops.joined >= 130, 'most hops still joined')
    const late = chain.spansOf(0).filter((s) => s.kind === 3 && s.attributes['tracecar.join.parent_abandoned'] === true)
    t.ok(late.length > 0, `late calls of abandoned requests joined to them, and marked (${late.length})`)
    const servers = new Map(
      chain
        .spansOf(0)
        .filter((s) => s.kind === 2)
        .map((s) => [s.spanId, s]),
    )
    t.ok(
      late.every(
        (s) => servers.get(s.parentSpanId)?.attributes['error.type'] === 'client_disconnected' && spanPath(servers.get(s.parentSpanId)!) === spanPath(s),
      ),
      'each to its own request, the one whose client left',
    )
  },
)

t.test('a Node service serving many requests at once in one process: the rule declines, never guesses, and counts it', async (t) => {
  const chain: Chain = await startChain(['node-a', 'node-b', 'node-c'], { join: 'context,correlation,worker-process', serial: false })
  t.teardown(() => chain.stop())
  const requestIds = ids('n', 40)
  await callConcurrently(chain, 'nothing', requestIds, 8)
  await chain.waitForRequests('nothing', requestIds)
  const hops = classifyHops(chain, 'nothing', requestIds)
  t.comment(
    `join rules context,correlation,worker-process; one concurrent Node process per service; 40 requests, 8 concurrent, forwarding nothing: ${JSON.stringify(hops)}; declines per sidecar: ${await declines(chain)}`,
  )
  t.equal(hops.wrong, 0, 'no hop parented to another request')
  const declined = await metricValue(chain.sidecars[0]!.adminUrl, 'tracecar_outbound_join_declines_total', 'reason="several_requests"')
  t.ok(declined > 0, `declines counted on /metrics (${declined} several_requests on the first sidecar)`)
  const unjoined = await metricValue(chain.sidecars[0]!.adminUrl, 'tracecar_outbound_joins_total', 'rule="none"')
  t.ok(unjoined >= declined, 'a declined call starts a new trace')
})
