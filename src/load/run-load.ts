import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import type { LoadOptions } from './load-options.js'
import { CONNECTION_ERROR, RequestOutcomes, TIMEOUT } from './request-outcomes.js'
import { type SentRequest, runTracestate, stampNewTrace, traceIdFromTraceresponse } from './run-trace-context.js'

/**
 * Drives the load with autocannon (in-process, no workers: the per-request hooks
 * must share state with this module) and pairs every response with the trace it
 * was sent under.
 *
 * How a response is paired with its request. autocannon's `context` is shared by
 * a connection and, with pipelining, already belongs to the next request when a
 * response arrives, so it cannot carry the trace id. Instead each connection gets
 * a FIFO of the traces it sent, mirroring autocannon's own pipelined-request queue
 * (HTTP/1.1 answers in order on a connection):
 * - a connection's `request` event fires just before autocannon builds that
 *   request, and the build calls `setupRequest` synchronously: the trace made in
 *   `setupRequest` belongs to the connection whose `request` event came last;
 * - except the first request of a connection, which autocannon builds in the
 *   Client constructor right before `setupClient`: `setupClient` adopts it and
 *   the connection's first `request` event sends it;
 * - the connection's `headers` event (the parser's raw header list) comes before
 *   the instance's `response` event (client, status, bytes, latency) of the same
 *   response: `headers` notes the `traceresponse` header, `response` takes the
 *   FIFO's head. (Not the request's `onResponse` hook: autocannon turns the raw
 *   headers into an object for it on every response, a cost paid for nothing.)
 * - on a timeout autocannon drops its queue, reconnects and re-sends before it
 *   emits `timeout`: the entries sent before the timeout are the old ones; on a
 *   connection error it emits `connError` before reconnecting: all are lost;
 * - when autocannon stops (the duration is over, a connection has sent its share
 *   of `--amount`, Ctrl-C) it destroys each connection after its `done` event,
 *   silently: what the FIFO still holds then was sent and cut off by the end of
 *   the run, neither a response nor an error.
 * When the service (through a tracecar sidecar) returns `traceresponse`, its trace
 * id wins, and a disagreement is counted (`traceresponseMismatches`).
 */

/** One autocannon connection: the traces it sent and still awaits, in order. */
interface Connection {
  queue: SentRequest[]
  /** The `traceresponse` of the response being parsed, until its `response` event. */
  traceresponse: string | undefined
}

/** The `traceresponse` value in a raw [name, value, ...] header list (names in any case). */
function findTraceresponse(raw: string[] | undefined): string | undefined {
  if (raw === undefined) return undefined
  for (let i = 0; i < raw.length - 1; i += 2) {
    const name = raw[i]!
    if (name.length === 13 && name.toLowerCase() === 'traceresponse') return raw[i + 1]
  }
  return undefined
}

export interface LoadRun {
  runId: string
  result: autocannon.Result
  outcomes: RequestOutcomes
  startedAt: Date
  finishedAt: Date
}

export interface RunLoadIo {
  /** Where the progress bar and autocannon's table go. */
  progress: NodeJS.WritableStream
  /** Ctrl-C stops the run early and still reports (the CLI sets it; off in tests). */
  stopOnSigint?: boolean
}

export async function runLoad(options: LoadOptions, runId: string, io: RunLoadIo): Promise<LoadRun> {
  const traceState = runTracestate(runId, options.userTracestate)
  const outcomes = new RequestOutcomes(options.slowest)
  const connections = new Map<autocannon.Client, Connection>()
  const timeoutMs = options.timeoutSec * 1000
  let buildingFor: SentRequest[] | undefined
  let builtBeforeClient: SentRequest | undefined
  let startMs = performance.now()

  const baseHeaders: Record<string, string> = {}
  for (const [name, value] of options.headers) {
    baseHeaders[name] = baseHeaders[name] === undefined ? value : `${baseHeaders[name]}, ${value}`
  }

  const setupRequest = (request: autocannon.Request): autocannon.Request => {
    // autocannon hands over a fresh copy of the request with its own headers object.
    const headers = request.headers as Record<string, string>
    const sent = stampNewTrace(headers, traceState, performance.now())
    if (buildingFor !== undefined) {
      buildingFor.push(sent)
      buildingFor = undefined
    } else {
      builtBeforeClient = sent
    }
    return request
  }

  const setupClient = (client: autocannon.Client): void => {
    const connection: Connection = { queue: [], traceresponse: undefined }
    const queue = connection.queue
    connections.set(client, connection)
    let first = builtBeforeClient
    builtBeforeClient = undefined
    // `request`, `timeout` and `connError` are events of autocannon's Client
    // (lib/httpClient.js) that @types/autocannon does not list; `headers` is listed
    // with the wrong type (it is http-parser-js's info object).
    const events: NodeJS.EventEmitter = client
    events.on('headers', (info: { headers?: string[] }) => {
      connection.traceresponse = findTraceresponse(info.headers)
    })
    events.on('request', () => {
      if (first !== undefined) {
        first.sentAtMs = performance.now()
        queue.push(first)
        first = undefined
      } else {
        buildingFor = queue
      }
    })
    events.on('timeout', () => {
      const now = performance.now()
      // The re-sent requests are microseconds old; the lost ones at least a timeout.
      while (queue.length > 0 && now - queue[0]!.sentAtMs >= timeoutMs / 2) fail(queue.shift()!, TIMEOUT, now)
    })
    events.on('connError', () => {
      const now = performance.now()
      while (queue.length > 0) fail(queue.shift()!, CONNECTION_ERROR, now)
    })
    events.on('done', () => {
      for (const sent of queue) outcomes.recordCutOff(sent.traceId)
      queue.length = 0
    })
  }

  const fail = (sent: SentRequest, failure: string, now: number): void => {
    outcomes.record({ traceId: sent.traceId, spanId: sent.spanId, status: null, failure, latencyMs: now - sent.sentAtMs, atMs: now - startMs })
  }

  let finish: (err: unknown, result: autocannon.Result) => void = () => {}
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result))
  })
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      duration: options.durationSec,
      ...(options.amount !== undefined ? { amount: options.amount } : {}),
      ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
      pipelining: options.pipelining,
      timeout: options.timeoutSec,
      method: options.method,
      headers: baseHeaders,
      ...(options.body !== undefined ? { body: options.body } : {}),
      requests: [{ setupRequest }],
      setupClient,
    },
    (err: unknown, result: autocannon.Result) => finish(err, result),
  )

  instance.on('start', () => {
    startMs = performance.now()
  })
  instance.on('response', (client: autocannon.Client, statusCode: number, _bytes: number, responseTime: number) => {
    const connection = connections.get(client)
    const sent = connection?.queue.shift()
    const echoed = traceIdFromTraceresponse(connection?.traceresponse)
    if (connection !== undefined) connection.traceresponse = undefined
    if (echoed !== undefined) outcomes.traceresponseSeen++
    if (sent === undefined) {
      outcomes.unmatched++
      return
    }
    let traceId = sent.traceId
    if (echoed !== undefined && echoed !== traceId) {
      outcomes.traceresponseMismatches++
      traceId = echoed
    }
    outcomes.record({ traceId, spanId: sent.spanId, status: statusCode, failure: null, latencyMs: responseTime, atMs: performance.now() - startMs })
  })

  autocannon.track(instance, { outputStream: io.progress, renderProgressBar: true, renderResultsTable: true })

  const stop = (): void => instance.stop()
  if (io.stopOnSigint === true) process.once('SIGINT', stop)
  const startedAt = new Date()
  try {
    const result = await finished
    return { runId, result, outcomes, startedAt, finishedAt: new Date() }
  } finally {
    process.removeListener('SIGINT', stop)
  }
}
