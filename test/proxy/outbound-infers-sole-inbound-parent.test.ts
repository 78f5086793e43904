import t from 'tap'
import { callConcurrently, classifyHops, isOneConnectedTrace, nodeService, spanPath, startChain } from './outbound-chain.js'
import type { Chain } from './outbound-chain.js'

// The same chain as outbound-joins-traces-across-services, but legacy workers
// that handle one request at a time, and rule 3 (sole-inbound) switched on.
// Five chains of real processes on a machine that may be busy: more than tap's default per file.
t.setTimeout(480_000)

const chain: Chain = await startChain(['worker-a', 'worker-b', 'worker-c'], { join: 'context,correlation,sole-inbound', serial: true })
t.teardown(() => chain.stop())

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

t.test('(c, rule 3 on) one request at a time, nothing forwarded: one connected trace, the links marked inferred', async (t) => {
  const requestIds = ids('seq', 5)
  for (const id of requestIds) t.equal(await chain.call('nothing', id), 200)
  await chain.waitForRequests('nothing', requestIds)
  for (const id of requestIds) t.ok(isOneConnectedTrace(chain, 'nothing', id), `request ${id}: one trace`)
  t.same(classifyHops(chain, 'nothing', requestIds), { joined: 10, unjoined: 0, wrong: 0, byRule: { sole_inbound: 10 } })
  const clients = chain.spans().filter((s) => s.kind === 3 && spanPath(s).startsWith('/nothing/seq'))
  t.equal(clients.length, 10)
  t.ok(
    clients.every((s) => s.attributes['tracecar.join.inferred'] === true),
    'every inferred link says so',
  )
})

t.test('(d) rule 3 on, several requests in flight: no span is ever parented to the wrong trace', async (t) => {
  for (const concurrency of [2, 8]) {
    const requestIds = ids(`c${concurrency}-`, 40)
    const statuses = await callConcurrently(chain, 'nothing', requestIds, concurrency)
    t.ok(
      statuses.every((s) => s === 200),
      'every request answered 200',
    )
    await chain.waitForRequests('nothing', requestIds)
    const hops = classifyHops(chain, 'nothing', requestIds)
    t.comment(
      `join rules context,correlation,sole-inbound; one-at-a-time workers; 40 requests, ${concurrency} concurrent, forwarding nothing: ${JSON.stringify(hops)}`,
    )
    t.equal(hops.wrong, 0, `${concurrency} concurrent: nothing misjoined`)
    t.equal(hops.joined + hops.unjoined, 80, 'every hop either joined correctly or started a new trace (rule 4)')
    t.ok(hops.unjoined > 0, 'with requests queued at the sidecar, rule 3 declines and falls back')
  }
})

t.test('rules 1 and 2 still come first with rule 3 on', async (t) => {
  const requestIds = ids('c8-', 40)
  for (const mode of ['traceparent', 'x-request-id'] as const) {
    await callConcurrently(chain, mode, requestIds, 8)
    await chain.waitForRequests(mode, requestIds)
    const hops = classifyHops(chain, mode, requestIds)
    t.comment(`join rules context,correlation,sole-inbound; one-at-a-time workers; 40 requests, 8 concurrent, forwarding ${mode}: ${JSON.stringify(hops)}`)
    t.same(hops, { joined: 80, unjoined: 0, wrong: 0, byRule: { [mode === 'traceparent' ? 'context' : 'correlation']: 80 } })
  }
})

t.test('(d) rule 3 on with services that handle requests concurrently: still never the wrong trace', async (t) => {
  const concurrent = await startChain(['conc-a', 'conc-b', 'conc-c'], { join: 'context,correlation,sole-inbound', serial: false })
  t.teardown(() => concurrent.stop())
  for (const concurrency of [1, 8]) {
    const requestIds = ids(`k${concurrency}-`, 40)
    await callConcurrently(concurrent, 'nothing', requestIds, concurrency)
    await concurrent.waitForRequests('nothing', requestIds)
    const hops = classifyHops(concurrent, 'nothing', requestIds)
    t.comment(
      `join rules context,correlation,sole-inbound; concurrent services; 40 requests, ${concurrency} concurrent, forwarding nothing: ${JSON.stringify(hops)}`,
    )
    t.equal(hops.wrong, 0, `${concurrency} concurrent: nothing misjoined`)
    if (concurrency === 1) t.equal(hops.joined, 80, 'one at a time from the client: every hop inferred')
  }
})

t.test('rule 3 on, every 4th client giving up while its one-at-a-time worker carries on: the late call is never handed to the next request', async (t) => {
  // The worker still works on a request whose client left; the sidecar keeps
  // that request in flight (abandoned) until the worker answers it, so the
  // next request is never the only one while the late call is made.
  const abandoning = await startChain(['late-a', 'late-b', 'late-c'], {
    join: 'context,correlation,sole-inbound',
    service: nodeService({ serial: true, delayMs: 20 }),
  })
  t.teardown(() => abandoning.stop())
  const requestIds = ids('late', 80)
  const statuses = await callConcurrently(abandoning, 'nothing', requestIds, 8, { everyNth: 4, afterMs: 10 })
  t.ok(statuses.filter((s) => s === 0).length >= 15, 'clients gave up on about a quarter of the requests')
  await abandoning.waitForQuiet(2000)
  const hops = classifyHops(abandoning, 'nothing', requestIds, { allowUncalled: true })
  t.comment(
    `join rules context,correlation,sole-inbound; one-at-a-time workers; 80 requests, 8 concurrent, every 4th client aborting after 10 ms: ${JSON.stringify(hops)}`,
  )
  t.equal(hops.wrong, 0, 'no late call parented to another request')
})
