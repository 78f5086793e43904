// A "legacy" service for the outbound tests, run as its own process with plain
// node: it knows nothing about tracing. It calls the next service (NEXT) the
// way most HTTP clients do when HTTP_PROXY is set: undici's EnvHttpProxyAgent
// reads HTTP_PROXY / NO_PROXY from the environment; proxyTunnel false sends
// absolute-form requests for http:// URLs, as curl, axios and requests do.
//
// Request path: /<forward>/<id>, where <forward> is what the service copies
// from its inbound request onto its call: `traceparent` (traceparent and
// tracestate), `x-request-id`, or `nothing`. It calls NEXT + the same path, so
// the test can tell from every span's path which client request it belongs to.
//
// SERIAL=1: one request at a time (a single-threaded legacy worker); others wait.
import http from 'node:http'
import { EnvHttpProxyAgent, request } from 'undici'

const next = process.env.NEXT ?? ''
const serial = process.env.SERIAL === '1'
const delayMs = Number(process.env.DELAY_MS ?? '5')
const agent = new EnvHttpProxyAgent({ proxyTunnel: false })

const FORWARDED = {
  traceparent: ['traceparent', 'tracestate'],
  'x-request-id': ['x-request-id'],
  nothing: [],
}

async function handle(req) {
  const [, forward] = (req.url ?? '/').split('/')
  const names = FORWARDED[forward]
  if (names === undefined) return { status: 404, body: `unknown forwarding mode ${forward}\n` }
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  if (next === '') return { status: 200, body: 'leaf\n' }
  const headers = {}
  for (const name of names) if (req.headers[name] !== undefined) headers[name] = req.headers[name]
  const res = await request(next + req.url, { dispatcher: agent, headers })
  const body = await res.body.text()
  return { status: res.statusCode, body: `called ${next}: ${res.statusCode} ${body}` }
}

let queue = Promise.resolve()
const server = http.createServer((req, res) => {
  req.resume()
  const run = () =>
    handle(req).then(
      ({ status, body }) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body),
      (err) => res.writeHead(500).end(`error: ${err.message}\n`),
    )
  if (!serial) {
    void run()
    return
  }
  queue = queue.then(
    () =>
      new Promise((resolve) => {
        res.once('close', resolve)
        void run()
      }),
  )
})
server.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  void agent.close().finally(() => process.exit(0))
})
