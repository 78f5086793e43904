import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import t from 'tap'
import { type ExtractResult, extractContext } from '../../src/trace-context/index.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE}-${SPAN}-01`

/**
 * Sends raw header lines to a real Node HTTP server and extracts from what Node
 * parsed, through both `headersDistinct` (arrays) and plain `headers` (joined).
 */
async function extractFromWire(headerLines: string[]): Promise<{ distinct: ExtractResult; joined: ExtractResult }> {
  const server = http.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  try {
    const seen = new Promise<{ distinct: ExtractResult; joined: ExtractResult }>((resolve) => {
      server.once('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
        const formats = ['tracecontext', 'b3', 'jaeger'] as const
        resolve({
          distinct: extractContext((name) => req.headersDistinct[name], [...formats]),
          joined: extractContext((name) => req.headers[name], [...formats]),
        })
        res.end()
      })
    })
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.end(['GET / HTTP/1.1', 'Host: x', 'Connection: close', ...headerLines, '', ''].join('\r\n'))
    socket.resume()
    return await seen
  } finally {
    server.close()
  }
}

t.test('a single traceparent and two tracestate lines', async (t) => {
  const { distinct, joined } = await extractFromWire([`traceparent: ${TRACEPARENT}`, 'tracestate: a=1', 'TraceState: b=2'])
  for (const result of [distinct, joined]) {
    t.equal(result.context?.traceId, TRACE)
    t.equal(result.context?.traceState, 'a=1,b=2', 'combined in order (joined form has OWS, rebuilt without it)')
    t.equal(result.invalid, undefined)
  }
})

t.test('two traceparent lines are rejected however Node delivers them', async (t) => {
  const { distinct, joined } = await extractFromWire([`traceparent: ${TRACEPARENT}`, `traceparent: ${TRACEPARENT}`])
  for (const result of [distinct, joined]) {
    t.equal(result.context, undefined)
    t.equal(result.invalid, 'traceparent')
  }
})

t.test('two future-version traceparent lines: rejected as two lines, though their joined value parses', async (t) => {
  const line = `traceparent: 01-${TRACE}-${SPAN}-01-x`
  const { distinct, joined } = await extractFromWire([line, line])
  t.equal(distinct.context, undefined)
  t.equal(distinct.invalid, 'traceparent')
  t.equal(joined.context?.traceId, TRACE, 'why a getter over the joined headers is not enough')
})

t.test('two b3 lines are rejected, the jaeger header is used instead', async (t) => {
  const b3 = `${TRACE}-${SPAN}-1`
  const { distinct, joined } = await extractFromWire([`b3: ${b3}`, `B3: ${b3}`, `uber-trace-id: ${TRACE}:${SPAN}:0:1`])
  for (const result of [distinct, joined]) {
    t.equal(result.invalid, 'b3')
    t.equal(result.context?.format, 'jaeger')
  }
})
