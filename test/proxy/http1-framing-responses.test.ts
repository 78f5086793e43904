import t, { type Test } from 'tap'
import { startFramingRig } from '../helpers/framing-rig.js'
import type { FramingRig } from '../helpers/framing-rig.js'
import { HTTP_ENGINES, skipOn } from '../helpers/http-engines.js'
import { okResponse } from '../helpers/raw-upstream.js'
import type { RawUpstreamConnection, RawUpstreamScript } from '../helpers/raw-upstream.js'

/**
 * RFC 9112 response framing through the inbound side, for every HTTP engine
 * the proxy has: the service is a raw socket that sends scripted responses
 * (well-formed, unusual and malformed), the client a raw socket that reads
 * what the proxy relayed. Also upgrades, where bytes flow both ways after a
 * 101. Same conventions as http1-framing-requests.test.ts.
 */

/** What the service does with one request: raw bytes to send, or a script of its own. */
type Answer = string | ((connection: RawUpstreamConnection) => void)

/** The service's n-th request (over all connections) gets `answers[n]`; any later one a plain 200. */
function answers(...list: Answer[]): RawUpstreamScript {
  let next = 0
  return async (connection) => {
    for (;;) {
      let request
      try {
        request = await connection.nextRequest()
      } catch {
        return
      }
      const answer = list[next++] ?? okResponse(request)
      if (typeof answer === 'string') connection.write(answer)
      else answer(connection)
    }
  }
}

/** Sends `bytes`, then ends the connection. */
const thenClose =
  (bytes: string): Answer =>
  (connection) => {
    connection.write(bytes)
    connection.socket.end()
  }

const GET = 'GET /r HTTP/1.1\r\nHost: x\r\n\r\n'

async function assertBadGateway(t: Test, r: FramingRig, errorType: string, skip: string | false = false): Promise<void> {
  const client = await r.client()
  client.write(GET)
  const [res] = await client.responses()
  t.equal(res?.status, 502, 'answered 502')
  t.match(res?.body.toString(), /^tracecar: /, "the proxy's own answer, none of the service's bytes")
  const spans = await r.spans(1)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.attributes['error.type'], errorType, `error.type ${errorType}`, { skip })
  t.equal(spans[0]!.attributes['http.response.status_code'], 502)
  t.equal(spans[0]!.statusCode, 2)
}

for (const engine of HTTP_ENGINES) {
  t.test(engine, async (t) => {
    const rig = async (t: Test, ...list: Answer[]) => {
      const r = await startFramingRig(engine, { upstream: answers(...list) })
      t.teardown(() => r.close())
      return r
    }

    t.test('a Content-Length body is relayed with its length', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')
      const client = await r.client()
      client.write(GET)
      const [res] = await client.responses()
      t.equal(res?.status, 200)
      t.equal(res?.framing, 'content-length')
      t.same(res?.header('content-length'), ['5'])
      t.equal(res?.body.toString(), 'hello')
      t.notOk(client.isClosed())
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['http.response.body.size'], 5)
    })

    t.test('a chunked body with trailers is relayed with its trailers (see Limits)', async (t) => {
      const r = await rig(
        t,
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n',
      )
      const client = await r.client()
      client.write(GET)
      const [res] = await client.responses()
      t.equal(res?.framing, 'chunked')
      t.equal(res?.body.toString(), 'hello world')
      t.same(
        res?.trailers.map(([name, value]) => [name.toLowerCase(), value]),
        [['x-checksum', 'abc']],
      )
      t.same(
        res?.header('trailer').map((v) => v.toLowerCase()),
        ['x-checksum'],
      )
      t.equal((await r.spans(1)).length, 1)
    })

    // Without a length the body ends when the service closes; the proxy must
    // give the client an end it can tell from a cut: the chunked coding on a
    // connection that stays open (what Node does), or closing it.
    t.test('a close-delimited body reaches an HTTP/1.1 client whole, with an end it can tell', async (t) => {
      const r = await rig(t, thenClose('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello world'))
      const client = await r.client()
      client.write(GET)
      const [res] = await client.responses()
      t.equal(res?.body.toString(), 'hello world')
      t.ok(res?.complete, 'whole')
      t.ok(res?.framing === 'chunked' || (res?.framing === 'close' && client.isClosed()), `framed by ${res?.framing}`)
      const spans = await r.spans(1)
      t.equal(spans[0]!.attributes['error.type'], undefined)
    })

    t.test('a close-delimited body reaches an HTTP/1.0 client whole, then the connection closes', async (t) => {
      const r = await rig(t, thenClose('HTTP/1.1 200 OK\r\n\r\nhello world'))
      const client = await r.client()
      client.write('GET /r HTTP/1.0\r\nHost: x\r\n\r\n')
      const [res] = await client.responses()
      await client.untilClosed()
      t.equal(res?.body.toString(), 'hello world')
      t.equal(res?.framing, 'close', 'HTTP/1.0 has no chunked coding')
      t.equal((await r.spans(1)).length, 1)
    })

    t.test('a HEAD response keeps its Content-Length and carries no body', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n')
      const client = await r.client()
      client.write('HEAD /r HTTP/1.1\r\nHost: x\r\n\r\n')
      const [res] = await client.responses(['HEAD'])
      t.equal(res?.status, 200)
      t.same(res?.header('content-length'), ['1234'])
      client.write(GET)
      const [next] = await client.responses()
      t.equal(next?.status, 200, 'the next answer on the connection starts where it should: no body bytes in between')
      t.equal(next?.body.toString(), '/r got 0 bytes')
      t.equal((await r.spans(2)).length, 2)
    })

    for (const [status, line] of [
      [204, 'HTTP/1.1 204 No Content\r\n\r\n'],
      [304, 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'],
    ] as const) {
      t.test(`a ${status} is relayed with no body and no body framing`, async (t) => {
        const r = await rig(t, line)
        const client = await r.client()
        client.write(GET)
        const [res] = await client.responses()
        t.equal(res?.status, status)
        t.same(res?.header('transfer-encoding'), [], 'no chunked coding on a response that has no body')
        if (status === 304) t.same(res?.header('etag'), ['"v1"'])
        client.write(GET)
        const [next] = await client.responses()
        t.equal(next?.body.toString(), '/r got 0 bytes', 'the next answer on the connection starts right after it')
        const spans = await r.spans(2)
        t.equal(spans[0]!.attributes['http.response.status_code'], status)
      })
    }

    t.test('103 Early Hints before a 200 are relayed', async (t) => {
      const r = await rig(t, 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      const client = await r.client()
      client.write(GET)
      const [res] = await client.responses()
      t.same(
        res?.interim.map((i) => i.status),
        [103],
      )
      t.same(res?.interim[0]?.header('link'), ['</style.css>; rel=preload'])
      t.equal(res?.status, 200)
      t.equal(res?.body.toString(), 'ok')
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['http.response.status_code'], 200)
    })

    t.test('102 Processing before a 200 is relayed', async (t) => {
      const r = await rig(t, 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      const client = await r.client()
      client.write(GET)
      const [res] = await client.responses()
      t.same(
        res?.interim.map((i) => i.status),
        [102],
      )
      t.equal(res?.body.toString(), 'ok')
      t.equal((await r.spans(1)).length, 1)
    })

    // RFC 9110 §15.2: a client must parse 1xx responses it did not expect. The
    // proxy never sends Expect upstream, so a 100 from the service is one of
    // those: dropping it (or relaying it) and relaying the 200 are both fine.
    t.test(
      'an unsolicited 100 Continue from the service: the final 200 is still relayed',
      {
        skip: skipOn(engine, {
          node: '502 upstream_reset ("bad response"): undici refuses a 100 it did not ask for',
        }),
      },
      async (t) => {
        const r = await rig(t, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
        const client = await r.client()
        client.write(GET)
        const [res] = await client.responses()
        t.equal(res?.status, 200)
        t.equal(res?.body.toString(), 'ok')
        const spans = await r.spans(1)
        t.equal(spans[0]!.attributes['error.type'], undefined)
      },
    )

    t.test('a response with both Content-Length and Transfer-Encoding: 502 upstream_protocol_error', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
      await assertBadGateway(t, r, 'upstream_protocol_error')
    })

    t.test('a response with two different Content-Lengths: 502 upstream_protocol_error', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!')
      await assertBadGateway(t, r, 'upstream_protocol_error')
    })

    // Identical repeated lengths may be collapsed or refused (RFC 9110 §8.6):
    // undici refuses them.
    t.test('a response with the same Content-Length twice: 502, a choice the RFC leaves open', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello')
      await assertBadGateway(t, r, 'upstream_protocol_error')
    })

    t.test('a response header with a bare CR: 502 upstream_protocol_error', async (t) => {
      const r = await rig(t, 'HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 2\r\n\r\nok')
      await assertBadGateway(
        t,
        r,
        'upstream_protocol_error',
        skipOn(engine, {
          node: "502, but the span's error.type is HTTPParserError: undici's parser error has no code (it looks the llhttp error number up in a name-to-number table), so the classifier falls back to the error's name",
        }),
      )
    })

    // A transfer coding the proxy does not decode must not be dropped, or the
    // client reads still-coded bytes as the content (RFC 9112 §6.1).
    t.test(
      'a response with Transfer-Encoding: gzip, chunked: 502, or relayed with the gzip coding kept',
      {
        skip: skipOn(engine, {
          node: 'relayed as 200 with only the chunked coding: the gzip coding is dropped without decoding',
        }),
      },
      async (t) => {
        const r = await rig(t, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
        const client = await r.client()
        client.write(GET)
        const [res] = await client.responses()
        if (res?.status === 502) t.equal((await r.spans(1))[0]!.attributes['error.type'], 'upstream_protocol_error')
        else t.match(res?.header('transfer-encoding').join(','), /gzip/i, 'the client is told the body is gzip-coded')
      },
    )

    for (const [framing, head, part] of [
      ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'partial'],
      ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '7\r\npartial\r\n'],
    ] as const) {
      t.test(`a service that closes mid-body (${framing}): the client's response is cut, the span says upstream_reset`, async (t) => {
        const r = await rig(t, thenClose(head + part))
        const client = await r.client()
        client.write(GET)
        const [res] = await client.responses()
        await client.untilClosed()
        t.equal(res?.status, 200, 'the status line had gone out')
        t.equal(res?.body.toString(), 'partial', 'what the service sent arrives')
        t.notOk(res?.complete, 'the response is cut, not ended as if whole')
        const spans = await r.spans(1)
        t.equal(spans.length, 1)
        t.equal(spans[0]!.attributes['error.type'], 'upstream_reset')
        t.equal(spans[0]!.statusCode, 2)
      })
    }

    t.test('a service that closes before answering: 502 upstream_reset', async (t) => {
      const r = await rig(t, (connection) => connection.socket.end())
      await assertBadGateway(t, r, 'upstream_reset')
    })

    t.test('an Upgrade answered 101: bytes flow both ways after it, one span for the session', async (t) => {
      const r = await rig(t, (connection) => {
        connection.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello from the service')
        connection.socket.on('data', (data: Buffer) => connection.write(`echo: ${data.toString('latin1')}`))
      })
      const client = await r.client()
      client.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')
      await client.until((bytes) => bytes.includes('hello from the service'))
      const text = () => client.received().toString('latin1')
      t.match(text(), /^HTTP\/1\.1 101 /)
      t.match(text(), /\r\n\r\nhello from the service$/, "the service's first bytes follow the 101 head")
      client.write('\x00\xffbytes from the client\r\n\r\n')
      await client.until((bytes) => bytes.includes('echo: '))
      await client.until((bytes) => bytes.toString('latin1').endsWith('echo: \x00\xffbytes from the client\r\n\r\n'))
      t.ok(text().endsWith('echo: \x00\xffbytes from the client\r\n\r\n'), "the client's bytes reached the service unchanged and back")
      const upgrade = r.upstream.requests()[0]!
      t.match(upgrade.requestLine, /^GET \/ws HTTP\/1\.1$/)
      t.same(upgrade.header('upgrade'), ['websocket'])
      client.socket.end()
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['http.response.status_code'], 101)
      t.equal(spans[0]!.attributes['error.type'], undefined)
    })
  })
}
