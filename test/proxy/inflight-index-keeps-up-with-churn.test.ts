import t from 'tap'
import { Socket } from 'node:net'
import { Exchange } from '../../src/proxy/exchange.js'
import { InflightExchanges } from '../../src/proxy/inflight-exchanges.js'

// The in-flight index under the churn of a busy sidecar: requests begin and
// end in any order, their places are reused, and an outbound call still finds
// exactly the requests in flight (by correlation header, or the only one).

function request(i: number): Exchange {
  const exchange = new Exchange(Date.now())
  exchange.traceId = `${i}`.padStart(32, '0')
  exchange.spanId = `${i}`.padStart(16, '0')
  exchange.requestId = `req-${i}`
  return exchange
}

const injected = { traceId: 'x-trace-id', spanId: 'x-span-id', requestId: 'x-request-id' }

t.test('after thousands of requests began and ended out of order, only those in flight are found', async (t) => {
  const inflight = new InflightExchanges(['x-request-id', 'x-tenant'], injected)
  const live = new Map<number, Exchange>()
  let next = 0
  // Start 40, then end one at random and start one, 5,000 times.
  for (; next < 40; next++) {
    live.set(next, request(next))
    inflight.add(live.get(next)!, { 'x-tenant': `tenant-${next}` })
  }
  let seed = 7
  for (let round = 0; round < 5000; round++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const keys = [...live.keys()]
    const gone = keys[seed % keys.length]!
    inflight.delete(live.get(gone)!, { 'x-tenant': `tenant-${gone}` })
    live.delete(gone)
    live.set(next, request(next))
    inflight.add(live.get(next)!, { 'x-tenant': `tenant-${next}` })
    next++
    // The first lookup builds the header indexes from what is in flight; later ones keep them.
    if (round === 2500) t.equal(inflight.find('x-request-id', `req-${next - 1}`), live.get(next - 1), 'found mid-churn')
  }
  t.equal(inflight.size, 40)
  let wrong = 0
  for (const [i, exchange] of live) {
    if (inflight.find('x-request-id', `req-${i}`) !== exchange) wrong++
    if (inflight.find('x-tenant', `tenant-${i}`) !== exchange) wrong++
  }
  t.equal(wrong, 0, 'every request in flight is found by both headers')
  let ghosts = 0
  for (let i = 0; i < next; i++) if (!live.has(i) && inflight.find('x-request-id', `req-${i}`) !== undefined) ghosts++
  t.equal(ghosts, 0, 'no ended request is found')
})

t.test('the only request in flight, once the others ended, is the sole one; an ended one is not', async (t) => {
  const inflight = new InflightExchanges([], injected, { holdAbandoned: true, trackSockets: false })
  const exchanges = Array.from({ length: 10 }, (_, i) => request(i))
  for (const exchange of exchanges) inflight.add(exchange, {})
  t.equal(inflight.sole(), undefined, 'several: none is the sole one')
  for (const exchange of exchanges.slice(1)) inflight.delete(exchange, {})
  t.equal(inflight.sole(), exchanges[0])
  inflight.abandon(exchanges[0]!)
  t.ok(inflight.isAbandoned(exchanges[0]!))
  inflight.delete(exchanges[0]!, {})
  t.equal(inflight.size, 0)
  t.equal(inflight.sole(), undefined)
  t.notOk(inflight.isAbandoned(exchanges[0]!), 'ending it clears the mark')
  inflight.delete(exchanges[0]!, {})
  t.equal(inflight.size, 0, 'ending it twice counts once')
  inflight.abandon(exchanges[3]!)
  t.notOk(inflight.isAbandoned(exchanges[3]!), 'a request no longer in flight cannot be marked')
  // After a burst the one left can be in any place, and places are reused.
  for (const exchange of exchanges) inflight.add(exchange, {})
  for (const [i, exchange] of exchanges.entries()) if (i !== 6) inflight.delete(exchange, {})
  t.equal(inflight.sole(), exchanges[6], 'the one left after a burst, wherever it was held')
  const later = [request(10), request(11)]
  for (const exchange of later) inflight.add(exchange, {})
  t.equal(inflight.sole(), undefined)
  inflight.delete(exchanges[6]!, {})
  inflight.delete(later[0]!, {})
  t.equal(inflight.sole(), later[1], 'held in a reused place')
})

t.test('requests that ended before the first outbound call are not indexed by it', async (t) => {
  const inflight = new InflightExchanges(['x-request-id'], injected)
  const exchanges = Array.from({ length: 20 }, (_, i) => request(i))
  for (const exchange of exchanges) inflight.add(exchange, {})
  for (const exchange of exchanges.slice(5)) inflight.delete(exchange, {})
  t.equal(inflight.find('x-request-id', 'req-2'), exchanges[2], 'the first lookup indexes those in flight')
  const ghosts = exchanges.slice(5).filter((_, i) => inflight.find('x-request-id', `req-${i + 5}`) !== undefined)
  t.equal(ghosts.length, 0, 'and none that ended')
})

t.test('with the worker-process rule, the connections listed are those of the requests in flight that reached the service', async (t) => {
  const inflight = new InflightExchanges([], injected, { holdAbandoned: true, trackSockets: true })
  const exchanges = Array.from({ length: 30 }, (_, i) => request(i))
  // Stand-ins for the upstream sockets: only their identity matters here.
  const sockets = exchanges.map(() => new Socket())
  for (const exchange of exchanges) inflight.add(exchange, {})
  for (let i = 0; i < 20; i++) inflight.connected(exchanges[i]!, sockets[i]!)
  for (let i = 0; i < 10; i++) inflight.delete(exchanges[i]!, {})
  // New requests take the freed places; one of them reaches the service.
  const later = [request(100), request(101)]
  for (const exchange of later) inflight.add(exchange, {})
  const laterSocket = new Socket()
  inflight.connected(later[1]!, laterSocket)
  inflight.connected(exchanges[3]!, new Socket()) // ended: not recorded
  const listed = new Map(inflight.upstreamSockets())
  t.equal(listed.size, 11)
  for (let i = 10; i < 20; i++) t.equal(listed.get(exchanges[i]!), sockets[i], `request ${i}`)
  t.equal(listed.get(later[1]!), laterSocket)
  t.notOk(listed.has(later[0]!), 'a request that has not reached the service has no connection')
  for (const socket of [...sockets, laterSocket]) socket.destroy()
})
