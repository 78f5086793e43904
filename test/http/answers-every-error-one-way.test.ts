import t from 'tap'
import { HttpError, sendFailure } from '../../src/http/http-answer.js'
import { QueryParamError } from '../../src/collector/api/query-params.js'
import { request, startHttpServer } from '../helpers/servers.js'

t.test('a thrown HttpError is answered with its status, message and headers, as JSON or a text line', async (t) => {
  const seen: Error[] = []
  const server = await startHttpServer((req, res) => {
    const format = req.url?.startsWith('/text') ? 'text' : 'json'
    const failure = req.url?.endsWith('/busy')
      ? new HttpError(503, 'the store is not accepting writes right now; retry later', { 'retry-after': '1' })
      : req.url?.endsWith('/param')
        ? new QueryParamError('limit="x" must be a whole number from 1 to 1000')
        : new TypeError('boom')
    sendFailure(res, failure, format, (err) => seen.push(err))
  })
  t.teardown(() => server.close())

  const busy = await request(`${server.url}/json/busy`)
  t.equal(busy.status, 503)
  t.equal(busy.headers['retry-after'], '1', 'the headers the status needs')
  t.equal(busy.headers['content-type'], 'application/json; charset=utf-8')
  t.same(JSON.parse(busy.body), { error: 'the store is not accepting writes right now; retry later' })

  const param = await request(`${server.url}/json/param`)
  t.equal(param.status, 400, 'QueryParamError is the 400 of a bad parameter')
  t.same(JSON.parse(param.body), { error: 'limit="x" must be a whole number from 1 to 1000' })

  const text = await request(`${server.url}/text/busy`)
  t.equal(text.status, 503)
  t.equal(text.headers['content-type'], 'text/plain; charset=utf-8')
  t.equal(text.body, 'the store is not accepting writes right now; retry later\n', 'one line')

  t.equal(seen.length, 0, 'an answer the route chose is not an unexpected error')
  const unexpected = await request(`${server.url}/json/other`)
  t.equal(unexpected.status, 500)
  t.same(JSON.parse(unexpected.body), { error: 'internal error: boom' }, 'anything else is a 500 naming the error')
  t.equal(seen.length, 1, 'and is handed over to be logged')
})

t.test('an error after the headers went out cuts the connection instead of writing a second answer', async (t) => {
  const server = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('half a body')
    sendFailure(res, new HttpError(500, 'too late'), 'json')
  })
  t.teardown(() => server.close())
  await t.rejects(request(server.url), 'the client sees the answer cut short')
})
