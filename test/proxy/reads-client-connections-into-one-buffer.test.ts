import t from 'tap'
import net from 'node:net'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { READ_BUFFER, readIntoSharedBuffer, readIntoStream } from '../../src/proxy/http1/shared-read-buffer.js'

// The raw engine's client connections read into one shared buffer, as its
// upstream connections do through Node's documented `onread`. For accepted
// sockets that is switched on through Node internals; these tests fail on a
// Node version where it no longer works (the engine would then silently fall
// back to 'data' events, correct but slower), and check what the engine
// relies on: reads arrive in the buffer, a false return pauses the socket
// until it is resumed, the end still comes, and a connection handed on to
// stream readers (an upgrade) gets 'data' events again, with bytes of its own.

interface Accepted {
  server: net.Server
  client: Socket
  accepted: Socket
}

async function connectPair(): Promise<Accepted> {
  const server = net.createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const acceptedP = once(server, 'connection') as Promise<[Socket]>
  const client = net.connect(port, '127.0.0.1')
  await once(client, 'connect')
  const [accepted] = await acceptedP
  return { server, client, accepted }
}

function close(pair: Accepted): void {
  pair.client.destroy()
  pair.accepted.destroy()
  pair.server.close()
}

t.test('an accepted socket reads into the shared buffer, never through data events', async (t) => {
  const pair = await connectPair()
  t.teardown(() => close(pair))
  const reads: string[] = []
  let dataEvents = 0
  pair.accepted.on('data', () => dataEvents++)
  const got = new Promise<void>((resolve) => {
    t.ok(
      readIntoSharedBuffer(pair.accepted, (bytes, into) => {
        t.equal(into.buffer, READ_BUFFER.buffer, 'the read is a view of the shared buffer')
        reads.push(Buffer.from(into.subarray(0, bytes)).toString())
        if (reads.join('') === 'hello') resolve()
        return true
      }),
      'this Node lets an accepted socket read into a buffer of ours',
    )
  })
  pair.client.write('hello')
  await got
  t.equal(dataEvents, 0)
  t.equal(
    readIntoSharedBuffer(pair.accepted, () => true),
    false,
    'a socket already reading into it is refused',
  )
})

t.test('false pauses the socket until it is resumed; the end still comes', async (t) => {
  const pair = await connectPair()
  t.teardown(() => close(pair))
  const reads: string[] = []
  let wake: (() => void) | undefined
  readIntoSharedBuffer(pair.accepted, (bytes, into) => {
    reads.push(Buffer.from(into.subarray(0, bytes)).toString())
    wake?.()
    return false
  })
  await new Promise<void>((resolve) => {
    wake = resolve
    pair.client.write('one')
  })
  pair.client.write('two')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(reads, ['one'], 'nothing is read while paused')
  const ended = once(pair.accepted, 'end')
  await new Promise<void>((resolve) => {
    wake = resolve
    pair.accepted.resume()
  })
  t.same(reads, ['one', 'two'], 'resumed, the rest is read')
  pair.accepted.resume()
  pair.client.end()
  await ended
  t.pass('the client end arrives as an end event')
})

t.test('handed on to stream readers, the socket emits data again, each read a copy of its own', async (t) => {
  const pair = await connectPair()
  t.teardown(() => close(pair))
  readIntoSharedBuffer(pair.accepted, () => {
    t.fail('the shared-buffer callback is no longer called')
    return true
  })
  readIntoStream(pair.accepted)
  const chunks: Buffer[] = []
  pair.accepted.on('data', (chunk: Buffer) => chunks.push(chunk))
  pair.client.write('first')
  while (Buffer.concat(chunks).toString() !== 'first') await once(pair.accepted, 'data')
  // Another read overwrites the shared buffer; the first chunk keeps its bytes.
  pair.client.write('SECOND')
  while (Buffer.concat(chunks).toString() !== 'firstSECOND') await once(pair.accepted, 'data')
  t.equal(chunks[0]!.toString(), 'first')
  t.not(chunks[0]!.buffer, READ_BUFFER.buffer)
})

t.test('handed on and paused (a pipe whose destination finished), the socket still reads the end and closes', async (t) => {
  const pair = await connectPair()
  t.teardown(() => close(pair))
  readIntoSharedBuffer(pair.accepted, () => true)
  readIntoStream(pair.accepted)
  pair.accepted.on('data', () => {})
  pair.accepted.pause()
  pair.accepted.end()
  const closed = once(pair.accepted, 'close')
  pair.client.end()
  pair.client.resume()
  await closed
  t.pass('closed once both sides had ended')
})
