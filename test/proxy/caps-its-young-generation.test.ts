import t from 'tap'
import autocannon from 'autocannon'
import { PROXY_NEW_SPACE_CAP_BYTES, youngGenerationSetByUser } from '../../src/cli/heap-defaults.js'
import { startProxyProcess } from '../helpers/proxy-process.js'
import type { ProxyProcess } from '../helpers/proxy-process.js'
import { startHttpServer } from '../helpers/servers.js'

// Under load V8 grows a Node process's young generation to two 16 MiB
// semi-spaces; the sidecar keeps it at two 2 MiB ones however it is started,
// and leaves it to the user who sized it (which options count: the last test).
// Read from the proxy's own /metrics (prom-client's heap space gauges), while
// real traffic runs through it and its export worker ships every span. Without
// the cap this load takes the new space to 32 MiB when the test runs alone; in
// a full-suite run V8 may not grow it at all (a user-sized sidecar, tried as a
// control, stayed at 4 MiB through 160,000 requests), so there this test
// cannot tell a missing cap.

const upstream = await startHttpServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
})
let spansPosted = 0
const sink = await startHttpServer((req, res) => {
  req.resume()
  req.on('end', () => {
    spansPosted++
    // An empty ExportTraceServiceResponse: everything accepted.
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
  })
})
t.teardown(async () => {
  await upstream.close()
  await sink.close()
})

async function newSpaceBytes(proxy: ProxyProcess): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text()
  const m = /^tracecar_nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text)
  if (m === null) throw new Error(`no new space gauge in /metrics:\n${text.slice(0, 2000)}`)
  return Number(m[1])
}

// Requests with a long path and a 4 KB header: what a request keeps alive on
// the heap while in flight is what makes V8 grow the young generation, and
// with these a few thousand requests are enough on a busy machine.
const LONG_PATH = `/load/${'p'.repeat(2000)}`
const BIG_HEADER = { 'x-filler': 'h'.repeat(4096) }

/** The largest new space seen while 20,000 such requests go through the proxy from 50 connections. */
async function newSpaceUnderLoad(proxy: ProxyProcess): Promise<{ largest: number; answered: number }> {
  let largest = await newSpaceBytes(proxy)
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      largest = Math.max(largest, await newSpaceBytes(proxy))
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const result = await autocannon({ url: `${proxy.url}${LONG_PATH}`, headers: BIG_HEADER, connections: 50, amount: 20_000 })
  sampling = false
  await sampler
  largest = Math.max(largest, await newSpaceBytes(proxy))
  return { largest, answered: result['2xx'] }
}

async function startSidecar(): Promise<ProxyProcess> {
  return startProxyProcess(['--upstream', upstream.url, '--access-log=false', '--otlp-endpoint', `${sink.url}/v1/traces`, '--otlp-protocol', 'http/protobuf'])
}

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

t.test('by default the young generation stays at two 2 MiB semi-spaces under load (two steps more at worst), export worker running', async (t) => {
  const proxy = await startSidecar()
  t.teardown(() => proxy.stop())
  const { largest, answered } = await newSpaceUnderLoad(proxy)
  t.equal(answered, 20_000, 'every request answered')
  t.ok(spansPosted > 0, 'spans went out through the export worker')
  t.comment(`largest new space seen: ${MiB(largest)}`)
  // The cap, or a step or two past it: V8 may grow the new space more than
  // once in one stretch of synchronous code (a module loaded on first use),
  // or while the export worker's heap is being created (which sets V8's
  // growth factor back to 2), before the sidecar gets a turn to hold it. Seen
  // in full-suite runs on the node engine, with the machine's two CPUs busy
  // with other test files: 8 MiB once, 16 MiB once (heap-defaults.ts).
  // Without the cap this load takes it to 32 MiB.
  t.ok(largest <= 4 * PROXY_NEW_SPACE_CAP_BYTES, `new space ${MiB(largest)} <= ${MiB(4 * PROXY_NEW_SPACE_CAP_BYTES)}`)
})

t.test('which options count as the user sizing the young generation', async (t) => {
  t.ok(youngGenerationSetByUser(['--max-semi-space-size=4'], undefined))
  t.ok(youngGenerationSetByUser([], '--max-semi-space-size=16'))
  t.ok(youngGenerationSetByUser([], '--inspect --min_semi_space_size=1'))
  t.ok(youngGenerationSetByUser(['--semi-space-growth-factor=4'], undefined))
  t.notOk(youngGenerationSetByUser(['--import', 'tsx'], '--max-old-space-size=256'))
  t.notOk(youngGenerationSetByUser([], undefined))
})
