import t, { type Test } from 'tap'
import { startFramingRig } from '../helpers/framing-rig.js'
import type { FramingRigOptions } from '../helpers/framing-rig.js'
import { HTTP_ENGINES, skipOn } from '../helpers/http-engines.js'

/**
 * RFC 9112 connection handling on the inbound side (pipelining, persistence,
 * `Expect: 100-continue`, slow and vanishing clients), on raw sockets, for
 * every HTTP engine the proxy has. Request framing is in
 * http1-framing-requests.test.ts, responses in http1-framing-responses.test.ts.
 */

for (const engine of HTTP_ENGINES) {
  t.test(engine, async (t) => {
    const rig = async (t: Test, options: FramingRigOptions = {}) => {
      const r = await startFramingRig(engine, options)
      t.teardown(() => r.close())
      return r
    }

    t.test('pipelining: three requests in one write get three answers in order, each its own span', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n' + 'POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' + 'GET /3 HTTP/1.1\r\nHost: x\r\n\r\n')
      const responses = await client.responses(['GET', 'POST', 'GET'])
      t.same(
        responses.map((res) => [res.status, res.body.toString()]),
        [
          [200, '/1 got 0 bytes'],
          [200, '/2 got 3 bytes'],
          [200, '/3 got 0 bytes'],
        ],
      )
      t.notOk(client.isClosed(), 'the connection stays open')
      t.same(
        r.upstream
          .requests()
          .map((req) => req.requestLine)
          .sort(),
        ['GET /1 HTTP/1.1', 'GET /3 HTTP/1.1', 'POST /2 HTTP/1.1'],
      )
      const spans = await r.spans(3)
      t.equal(spans.length, 3)
      t.same(spans.map((s) => s.attributes['url.path']).sort(), ['/1', '/2', '/3'])
      t.equal(new Set(spans.map((s) => s.traceId)).size, 3, 'three traces')
      t.same(
        responses.map((res) => res.header('x-trace-id')[0]),
        ['/1', '/2', '/3'].map((path) => spans.find((s) => s.attributes['url.path'] === path)!.traceId),
        "each answer carries its own request's trace id",
      )
    })

    t.test('HTTP/1.1 persists by default: a second request on the same connection is answered', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n')
      const [first] = await client.responses()
      t.equal(first?.status, 200)
      client.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n')
      const [second] = await client.responses()
      t.equal(second?.body.toString(), '/2 got 0 bytes')
      t.equal((await r.spans(2)).length, 2)
    })

    t.test('Connection: close gets its answer, then the connection closes', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      const [res] = await client.responses()
      await client.untilClosed()
      t.equal(res?.status, 200)
      t.equal(res?.body.toString(), '/1 got 0 bytes')
      t.match(res?.header('connection').join(','), /close/i, 'the answer says close')
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['error.type'], undefined)
    })

    // RFC 9112 §9.6: the server answers the request that carried "close" (or
    // an HTTP/1.0 request without keep-alive), then closes, and must not
    // process anything the client sent after it.
    for (const [name, first, second] of [
      ['Connection: close', 'GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP/1.0 without keep-alive', 'GET /1 HTTP/1.0\r\nHost: x\r\n\r\n', 'GET /2 HTTP/1.0\r\nHost: x\r\n\r\n'],
    ] as const) {
      t.test(
        `${name} with a request pipelined behind it: the first is answered, the second never read`,
        {
          skip: skipOn(engine, {
            node: 'the bytes after the last request are a parser error (data after Connection: close) while that request is under way: the connection is destroyed without an answer and the span says client_disconnected',
          }),
        },
        async (t) => {
          const r = await rig(t)
          const client = await r.client()
          client.write(first + second)
          const responses = await client.responses(['GET', 'GET'])
          await client.untilClosed()
          t.equal(responses.length, 1, 'one answer')
          t.equal(responses[0]?.status, 200)
          t.equal(responses[0]?.body.toString(), '/1 got 0 bytes')
          t.same(
            r.upstream.requests().map((req) => req.requestLine.split(' ')[1]),
            ['/1'],
            'the request after it is not read',
          )
          const spans = await r.spans(1)
          t.equal(spans.length, 1)
          t.equal(spans[0]!.attributes['error.type'], undefined)
        },
      )
    }

    t.test('HTTP/1.0 without keep-alive closes after the answer', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('GET /1 HTTP/1.0\r\nHost: x\r\n\r\n')
      const [res] = await client.responses()
      await client.untilClosed()
      t.equal(res?.status, 200)
      t.equal(res?.body.toString(), '/1 got 0 bytes')
      const spans = await r.spans(1)
      t.equal(spans[0]!.attributes['network.protocol.version'], '1.0')
    })

    // Persisting an HTTP/1.0 connection on request is allowed, not required
    // (RFC 9112 §9.3): Node does, and says so.
    t.test('HTTP/1.0 with Connection: keep-alive stays open for a second request', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('GET /1 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
      const [first] = await client.responses()
      t.match(first?.header('connection').join(','), /keep-alive/i)
      client.write('GET /2 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
      const [second] = await client.responses()
      t.equal(second?.body.toString(), '/2 got 0 bytes')
      t.equal((await r.spans(2)).length, 2)
    })

    t.test('Expect: 100-continue: the proxy answers 100 Continue before the body is sent, and does not forward Expect', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
      await client.until((bytes) => bytes.includes('\r\n\r\n'))
      t.match(client.received().toString('latin1'), /^HTTP\/1\.1 100 Continue\r\n/, '100 Continue with no body sent yet')
      client.write('hello')
      const [res] = await client.responses(['POST'])
      t.equal(res?.interim.length, 1)
      t.equal(res?.status, 200)
      t.equal(res?.body.toString(), '/upload got 5 bytes')
      const requests = r.upstream.requests()
      t.equal(requests.length, 1)
      t.same(requests[0]!.header('expect'), [], 'the service never sees Expect (see Limits)')
      t.equal(requests[0]!.body.toString(), 'hello')
      t.equal((await r.spans(1)).length, 1)
    })

    t.test('a client that sends its request byte by byte still gets its answer', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      await client.writeByteByByte('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Long: ' + 'v'.repeat(40) + '\r\n\r\nhello')
      const [res] = await client.responses(['POST'])
      t.equal(res?.status, 200)
      t.equal(res?.body.toString(), '/slow got 5 bytes')
      const request = r.upstream.requests()[0]!
      t.same(request.header('x-long'), ['v'.repeat(40)])
      t.equal((await r.spans(1)).length, 1)
    })

    t.test('a chunked body sent byte by byte reaches the service whole', async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
      await client.writeByteByByte('5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\n\r\n')
      const [res] = await client.responses(['POST'])
      t.equal(res?.body.toString(), '/slow got 6 bytes')
      t.equal(r.upstream.requests()[0]!.body.toString(), 'hello!')
      t.equal((await r.spans(1)).length, 1)
    })

    t.test('a client that stops mid-body: the connection is closed and the span says client_idle_timeout', async (t) => {
      const r = await rig(t, { flags: ['--idle-timeout-ms', '300'] })
      const client = await r.client()
      client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfirst part')
      await client.untilClosed()
      t.notMatch(client.received().toString('latin1'), /^HTTP\/1\.1 2/, 'no success answer')
      t.same(r.upstream.requests(), [], 'no whole request reached the service')
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['error.type'], 'client_idle_timeout')
      t.equal(spans[0]!.statusCode, 2)
    })

    t.test("a client that goes away mid-body: the service's request is aborted and the span says client_disconnected", async (t) => {
      const r = await rig(t)
      const client = await r.client()
      client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000))
      // Wait until the request is on its way to the service, then leave.
      for (let i = 0; i < 500 && !r.upstream.receivedBytes().includes('\r\n\r\n'); i++) await new Promise((resolve) => setTimeout(resolve, 10))
      client.destroy()
      await r.upstream.connections[0]!.closed
      t.pass("the service's connection was closed")
      t.same(r.upstream.requests(), [], 'no whole request reached the service')
      const spans = await r.spans(1)
      t.equal(spans.length, 1)
      t.equal(spans[0]!.attributes['error.type'], 'client_disconnected')
    })
  })
}
