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
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import type { SpanRecord } from '../../src/span/span-record.js'
import { startProxyProcess } from '../helpers/proxy-process.js'
import type { ProxyProcess } from '../helpers/proxy-process.js'
import { freePort, request } from '../helpers/servers.js'

const fixture = fileURLToPath(new URL('./outbound-legacy-service.mjs', import.meta.url))
const here = fileURLToPath(new URL('./', import.meta.url))

/** What a service of the chain is told: its port, the next service's URL ('' for the last), its sidecar's outbound proxy. */
export interface ServiceSetup {
  port: number
  next: string
  httpProxy: string
}

/** Starts one service of the chain and resolves once it serves. */
export type ServiceLauncher = (setup: ServiceSetup) => Promise<ChildProcess>

/** Why Debian's gunicorn cannot run the WSGI services here, or undefined when it can. */
export function gunicornMissing(): string | undefined {
  const probe = spawnSync('gunicorn', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) return 'gunicorn is not installed (Debian package gunicorn; .ci/run installs it)'
  const requests = spawnSync('/usr/bin/python3', ['-c', 'import requests'], { encoding: 'utf8' })
  if (requests.status !== 0) return 'python3-requests is not installed (Debian package python3-requests; .ci/run installs it)'
  return undefined
}

/**
 * legacy_wsgi_service.py under gunicorn: `workers` sync worker processes
 * (one request at a time each), calling the next service with
 * python3-requests through HTTP_PROXY and forwarding nothing.
 */
export function gunicornService(options: { workers: number; delayMs: number }): ServiceLauncher {
  return async ({ port, next, httpProxy }) => {
    const child = spawn(
      'gunicorn',
      [
        '--workers',
        String(options.workers),
        '--worker-class',
        'sync',
        '--bind',
        `127.0.0.1:${port}`,
        '--chdir',
        here,
        '--timeout',
        '30',
        '--graceful-timeout',
        '2',
        'legacy_wsgi_service:app',
      ],
      {
        env: {
          PATH: process.env.PATH,
          NEXT: next,
          HTTP_PROXY: httpProxy,
          http_proxy: httpProxy,
          NO_PROXY: '',
          DELAY_MS: String(options.delayMs),
          PYTHONDONTWRITEBYTECODE: '1',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let err = ''
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    // Every worker forked, so that no request waits for one to boot.
    const deadline = Date.now() + 30_000
    while ((err.match(/Booting worker/g) ?? []).length < options.workers) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gunicorn did not start its ${options.workers} workers:\n${err}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return child
  }
}

/** outbound-legacy-service.mjs: one Node process; SERIAL=1 takes one request at a time; it waits `delayMs` (5) before its call. */
export function nodeService(options: { serial: boolean; delayMs?: number }): ServiceLauncher {
  return async ({ port, next, httpProxy }) => {
    const service = spawn(process.execPath, [fixture], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        NEXT: next,
        HTTP_PROXY: httpProxy,
        SERIAL: options.serial ? '1' : '0',
        DELAY_MS: String(options.delayMs ?? 5),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    service.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    service.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      process.stderr.write(d)
    })
    const exited = new Promise<never>((_, reject) =>
      service.once('exit', (code) => reject(new ServiceExited(`the service on port ${port} exited with ${code} before listening:\n${err}`, err))),
    )
    try {
      await Promise.race([waitForMatch(() => out, /"port":(\d+)/), exited])
    } finally {
      exited.catch(() => {})
    }
    return service
  }
}

/** A service process that ended before it listened; `stderr` says why (e.g. its port was taken). */
export class ServiceExited extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message)
  }
}

export type ForwardMode = 'traceparent' | 'x-request-id' | 'nothing'

export interface Chain {
  /** The first sidecar's inbound URL: what the test client calls. */
  entryUrl: string
  sidecars: ProxyProcess[]
  names: string[]
  spans(): SpanRecord[]
  /** The spans exported by one sidecar (0 = the first service's). */
  spansOf(index: number): SpanRecord[]
  /** Calls `/<mode>/<id>` on the first service; resolves with the status (0: gave up after `abortAfterMs`). */
  call(mode: ForwardMode, id: string, abortAfterMs?: number): Promise<number>
  /** Waits until every sidecar has exported `perRequest` spans for each id. */
  waitForRequests(mode: ForwardMode, ids: string[]): Promise<void>
  /** Waits until no span has arrived for `quietMs` (when clients gave up, not every request reached every service). */
  waitForQuiet(quietMs: number): Promise<void>
  stop(): Promise<void>
}

export async function startChain(
  names: string[],
  options: { join: string; serial?: boolean; service?: ServiceLauncher; sidecarFlags?: string[] },
): Promise<Chain> {
  const launch = options.service ?? nodeService({ serial: options.serial ?? false })
  const sidecars: ProxyProcess[] = []
  const services: ChildProcess[] = []
  let nextUrl = ''
  try {
    for (let i = names.length - 1; i >= 0; i--) {
      // The sidecar must know the service's port and the service its sidecar's
      // outbound port, so the service's port is chosen first. Between choosing
      // it and the service listening, another process on a busy machine can
      // take it: then the hop starts again on another port.
      for (let attempt = 1; ; attempt++) {
        const servicePort = await freePort()
        const sidecar = await startProxyProcess([
          '--upstream',
          `http://127.0.0.1:${servicePort}`,
          '--service',
          names[i]!,
          '--exporter',
          'console',
          '--access-log=false',
          '--outbound-join',
          options.join,
          ...(options.sidecarFlags ?? []),
        ])
        sidecars.unshift(sidecar)
        const outboundPort = await waitForMatch(sidecar.stderr, /outbound proxy on [^:]+:(\d+)/)
        try {
          services.push(await launch({ port: servicePort, next: nextUrl, httpProxy: `http://127.0.0.1:${outboundPort}` }))
        } catch (err) {
          if (!(err instanceof ServiceExited && err.stderr.includes('EADDRINUSE')) || attempt === 3) throw err
          sidecars.shift()
          await sidecar.stop()
          continue
        }
        nextUrl = sidecar.url
        break
      }
    }
  } catch (err) {
    for (const s of services) s.kill('SIGTERM')
    await Promise.all(sidecars.map((s) => s.stop()))
    throw err
  }

  const spansOf = (index: number): SpanRecord[] =>
    sidecars[index]!.stderr()
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
    async call(mode, id, abortAfterMs) {
      const url = `${sidecars[0]!.url}/${mode}/${id}`
      if (abortAfterMs === undefined) return (await request(url)).status
      return new Promise<number>((resolve) => {
        let status = 0
        const req = http.get(url, { agent: false }, (res) => {
          res.resume()
          res.on('end', () => (status = res.statusCode ?? 0))
          res.on('error', () => {})
        })
        req.on('error', () => {})
        // Fires however the request ended: answered (the connection closes after it), or given up on.
        req.on('close', () => resolve(status))
        setTimeout(() => req.destroy(), abortAfterMs)
      })
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
    async waitForQuiet(quietMs) {
      let count = -1
      let since = Date.now()
      const deadline = Date.now() + 60_000
      while (Date.now() - since < quietMs && Date.now() < deadline) {
        const now = spans().length
        if (now !== count) {
          count = now
          since = Date.now()
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
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
  /** With `allowUncalled`: hops the service never made (its client gave up before the request reached it). */
  uncalled?: number
}

/**
 * For each request id and each service but the last: is that service's CLIENT
 * span (the call it made for this request) a child of its SERVER span for the
 * same request?
 */
export function classifyHops(chain: Chain, mode: ForwardMode, ids: string[], options: { allowUncalled?: boolean } = {}): HopCounts {
  const counts: HopCounts = { joined: 0, unjoined: 0, wrong: 0, byRule: {} }
  if (options.allowUncalled === true) counts.uncalled = 0
  const bySidecar = chain.sidecars.map((_, index) => chain.spansOf(index))
  for (const id of ids) {
    const path = `/${mode}/${id}`
    for (let hop = 0; hop < chain.names.length - 1; hop++) {
      const service = chain.names[hop]!
      const mine = bySidecar[hop]!.filter((s) => spanPath(s) === path)
      const server = mine.find((s) => s.kind === 2)
      const client = mine.find((s) => s.kind === 3)
      if (counts.uncalled !== undefined && client === undefined && (server === undefined || hop === 0)) {
        counts.uncalled++
        continue
      }
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

/**
 * Fires `ids` at the chain from `concurrency` clients; with `abort`, every
 * `abort.everyNth` client gives up on each of its requests after `abort.afterMs`.
 */
export async function callConcurrently(
  chain: Chain,
  mode: ForwardMode,
  ids: string[],
  concurrency: number,
  abort?: { everyNth: number; afterMs: number },
): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      if (abort !== undefined) {
        // Each client its own share of the ids: the ones that give up would otherwise, being quicker, take most.
        const gives = (client + 1) % abort.everyNth === 0
        for (let i = client; i < ids.length; i += concurrency) statuses.push(await chain.call(mode, ids[i]!, gives ? abort.afterMs : undefined))
        return
      }
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
