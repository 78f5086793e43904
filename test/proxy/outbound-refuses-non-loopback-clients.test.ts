import t from 'tap'
import net from 'node:net'
import { networkInterfaces } from 'node:os'
import { createClientAccessCheck } from '../../src/proxy/outbound-access.js'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

const destination = await startHttpServer((_req, res) => res.end('reached'))
t.teardown(() => destination.close())

t.test('by default only loopback clients may use the outbound proxy', async (t) => {
  const defaults = loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1'], env: {} }).outbound
  t.equal(defaults.host, '127.0.0.1', 'it listens on loopback')
  t.equal(defaults.port, 15001)
  const allowed = createClientAccessCheck(defaults.allowClients)
  for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) t.ok(allowed(address), `${address} allowed`)
  for (const address of ['10.1.2.3', '192.168.0.7', '::ffff:10.1.2.3', 'fe80::1', '2001:db8::1', '', undefined]) {
    t.notOk(allowed(address), `${String(address)} refused`)
  }
})

/** Sends one absolute-form GET from `localAddress` and returns the raw answer. */
function callFrom(localAddress: string, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress }, () => {
      socket.write(`GET ${destination.url}/ HTTP/1.1\r\nHost: 127.0.0.1:${destination.port}\r\nConnection: close\r\n\r\n`)
    })
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString()))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
}

t.test('a client outside outbound.allowClients is refused with 403 before its request is read, and counted', async (t) => {
  // 127.0.0.2 is a second loopback address on Linux: a different client address on the same machine.
  const sidecar = await startTestSidecar('http://127.0.0.1:1', ['--outbound-host', '0.0.0.0', '--outbound-allow-client', '127.0.0.1'])
  t.teardown(() => sidecar.close())
  const port = sidecar.sidecar.outbound!.forward.port
  const ok = await callFrom('127.0.0.1', '127.0.0.1', port)
  t.match(ok, /^HTTP\/1\.1 200 OK/)
  t.match(ok, /reached$/)
  await sidecar.spans.waitFor(1)

  let refused: string
  try {
    refused = await callFrom('127.0.0.2', '127.0.0.1', port)
  } catch (err) {
    t.skip(`cannot bind 127.0.0.2 here: ${(err as Error).message}`)
    return
  }
  t.match(refused, /^HTTP\/1\.1 403 Forbidden/)
  t.match(refused, /client_not_allowed/)
  t.notMatch(refused, /reached/, 'the destination was never called')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(sidecar.spans.spans.length, 1, 'a refused client makes no span (it cannot flood the trace pipeline)')
  const metrics = (await request(`${sidecar.adminUrl}/metrics`)).body
  t.match(metrics, /tracecar_outbound_clients_refused_total 1\b/)
})

t.test('a request from a non-loopback address of this machine is refused with the default allow list', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)
  if (external === undefined) {
    t.skip('this machine has no non-loopback IPv4 address to call from')
    return
  }
  // Bound to every address (as a pod-wide proxy might be), yet still not open.
  const sidecar = await startTestSidecar('http://127.0.0.1:1', ['--outbound-host', '0.0.0.0'])
  t.teardown(() => sidecar.close())
  const port = sidecar.sidecar.outbound!.forward.port
  const refused = await callFrom(external.address, external.address, port)
  t.match(refused, /^HTTP\/1\.1 403 Forbidden/, `a client at ${external.address} is refused`)
  t.match(await callFrom('127.0.0.1', '127.0.0.1', port), /^HTTP\/1\.1 200 OK/, 'loopback still served')
})
