/**
 * A chain of legacy services, each behind its own real `tracecar proxy`
 * process, calling the next through its sidecar's outbound proxy (HTTP_PROXY):
 *
 *   test ─► sidecar A ─► service A ─► A's outbound ─► sidecar B ─► service B ─► B's outbound ─► sidecar C ─► service C
 *
 * Spans are read from each sidecar's console exporter (one JSON span per line
 * on stderr). `classifyHops` checks, request by request, whether each
 * service's CLIENT span is a child of that same request's SERVER span.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { SpanRecord } from '../../src/span/span-record.js'
import { startProxyProcess } from '../helpers/proxy-process.js'
import type { ProxyProcess } from '../helpers/proxy-process.js'
import { freePort, request } from '../helpers/servers.js'

const fixture = fileURLToPath(new URL('./outbound-legacy-service.mjs', import.meta.url))

export type ForwardMode = 'traceparent' | 'x-request-id' | 'nothing'

export interface Chain {
  /** The first sidecar's inbound URL: what the test client calls. */
  entryUrl: string
  sidecars: ProxyProcess[]
  names: string[]
  spans(): SpanRecord[]
  /** The spans exported by one sidecar (0 = the first service's). */
  spansOf(index: number): SpanRecord[]
  /** Calls `/<mode>/<id>` on the first service; resolves with the status. */
  call(mode: ForwardMode, id: string): Promise<number>
  /** Waits until every sidecar has exported `perRequest` spans for each id. */
  waitForRequests(mode: ForwardMode, ids: string[]): Promise<void>
  stop(): Promise<void>
}

export async function startChain(names: string[], options: { join: string; serial: boolean }): Promise<Chain> {
  const sidecars: ProxyProcess[] = []
  const services: ChildProcess[] = []
  let nextUrl = ''
  try {
    for (let i = names.length - 1; i >= 0; i--) {
      // The sidecar must know the service's port and the service its sidecar's
      // outbound port, so the service's port is chosen first.
      const servicePort = await freePort()
      const sidecar = await startProxyProcess([
        '--upstream', `http://127.0.0.1:${servicePort}`,
        '--service', names[i]!,
        '--exporter', 'console',
        '--access-log=false',
        '--outbound-join', options.join,
      ])
      sidecars.unshift(sidecar)
      const outboundPort = await waitForMatch(sidecar.stderr, /outbound proxy on [^:]+:(\d+)/)
      const service = spawn(process.execPath, [fixture], {
        env: {
          PATH: process.env.PATH,
          PORT: String(servicePort),
          NEXT: nextUrl,
          HTTP_PROXY: `http://127.0.0.1:${outboundPort}`,
          SERIAL: options.serial ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      services.push(service)
      let out = ''
      service.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      await waitForMatch(() => out, /"port":(\d+)/)
      nextUrl = sidecar.url
    }
  } catch (err) {
    for (const s of services) s.kill('SIGTERM')
    await Promise.all(sidecars.map((s) => s.stop()))
    throw err
  }

  const spansOf = (index: number): SpanRecord[] =>
    sidecars[index]!
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{"traceId"'))
      .map((line) => JSON.parse(line) as SpanRecord)
  const spans = (): SpanRecord[] => sidecars.flatMap((_, index) => spansOf(index))

  return {
    entryUrl: sidecars[0]!.url,
    sidecars,
    names,
    spans,
    spansOf,
    async call(mode, id) {
      return (await request(`${sidecars[0]!.url}/${mode}/${id}`)).status
    },
    async waitForRequests(mode, ids) {
      // Per request: a SERVER span on every sidecar and a CLIENT span on all but the last.
      const expected = ids.length * (2 * names.length - 1)
      const suffixes = new Set(ids.map((id) => `/${mode}/${id}`))
      const deadline = Date.now() + 30_000
      for (;;) {
        const count = spans().filter((s) => suffixes.has(spanPath(s))).length
        if (count >= expected) return
        if (Date.now() > deadline) throw new Error(`only ${count} of ${expected} spans arrived for ${mode}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async stop() {
      await Promise.all(
        services.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.exitCode !== null) return resolve()
              s.once('exit', () => resolve())
              s.kill('SIGTERM')
            }),
        ),
      )
      await Promise.all(sidecars.map((s) => s.stop()))
    },
  }
}

/** The request path a span was for: url.path on SERVER spans, the path of url.full on CLIENT spans. */
export function spanPath(span: SpanRecord): string {
  const path = span.attributes['url.path']
  if (typeof path === 'string') return path
  const full = span.attributes['url.full']
  return typeof full === 'string' ? new URL(full).pathname : ''
}

export interface HopCounts {
  /** CLIENT span is a child of the same request's SERVER span. */
  joined: number
  /** CLIENT span started a new trace (rule 4). */
  unjoined: number
  /** CLIENT span parented anywhere else: must never happen. */
  wrong: number
  /** Hops by the rule that joined them (tracecar.join.rule). */
  byRule: Record<string, number>
}

/**
 * For each request id and each service but the last: is that service's CLIENT
 * span (the call it made for this request) a child of its SERVER span for the
 * same request?
 */
export function classifyHops(chain: Chain, mode: ForwardMode, ids: string[]): HopCounts {
  const counts: HopCounts = { joined: 0, unjoined: 0, wrong: 0, byRule: {} }
  const bySidecar = chain.sidecars.map((_, index) => chain.spansOf(index))
  for (const id of ids) {
    const path = `/${mode}/${id}`
    for (let hop = 0; hop < chain.names.length - 1; hop++) {
      const service = chain.names[hop]!
      const mine = bySidecar[hop]!.filter((s) => spanPath(s) === path)
      const server = mine.find((s) => s.kind === 2)
      const client = mine.find((s) => s.kind === 3)
      if (server === undefined || client === undefined) throw new Error(`missing spans of ${service} for ${path}`)
      const rule = String(client.attributes['tracecar.join.rule'])
      counts.byRule[rule] = (counts.byRule[rule] ?? 0) + 1
      if (client.traceId === server.traceId && client.parentSpanId === server.spanId) counts.joined++
      else if (client.parentSpanId === '' && rule === 'none') counts.unjoined++
      else counts.wrong++
    }
  }
  return counts
}

/** True when the spans of one request form one trace: A's SERVER span the root, every other span's parent in it. */
export function isOneConnectedTrace(chain: Chain, mode: ForwardMode, id: string): boolean {
  const mine = chain.spans().filter((s) => spanPath(s) === `/${mode}/${id}`)
  if (mine.length !== 2 * chain.names.length - 1) return false
  const traceIds = new Set(mine.map((s) => s.traceId))
  if (traceIds.size !== 1) return false
  const ids = new Set(mine.map((s) => s.spanId))
  const roots = mine.filter((s) => s.parentSpanId === '')
  return roots.length === 1 && mine.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId))
}

/** Fires `ids` at the chain with at most `concurrency` in flight. */
export async function callConcurrently(chain: Chain, mode: ForwardMode, ids: string[], concurrency: number): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!
        statuses.push(await chain.call(mode, id))
      }
    }),
  )
  return statuses
}

async function waitForMatch(text: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const match = pattern.exec(text())
    if (match) return match[1]!
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${text()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
