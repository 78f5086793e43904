/**
 * The HTTPS listener of `tracecar webhook`: POST /mutate takes AdmissionReviews, GET /healthz
 * says the process is up. The certificate and key are read from files and re-read when
 * they change (a Secret volume's update, cert-manager's renewal): the directories are
 * watched and the new pair goes in with setSecureContext, without dropping a connection.
 * A pair that does not load is logged and the old one kept.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import https from 'node:https'
import { dirname } from 'node:path'
import { createSecureContext } from 'node:tls'
import { listenOn } from '../http/listen.js'
import { reviewAdmission } from './admission-review.js'
import type { InjectOptions } from './inject-options.js'

export interface WebhookServerOptions {
  host: string
  port: number
  certFile: string
  keyFile: string
  inject: InjectOptions
  log(line: string): void
}

export interface WebhookServer {
  port: number
  close(): Promise<void>
}

/** The API server sends objects of a few hundred KB at most; 3 MiB is its own request limit. */
const MAX_BODY_BYTES = 3 * 1024 * 1024

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  let pair = readPair(options)
  const server = https.createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
      return
    }
    if (req.method !== 'POST' || path !== '/mutate') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('POST /mutate (AdmissionReview v1) or GET /healthz\n')
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    req.on('error', () => res.destroy())
    req.on('end', () => {
      const body = size > MAX_BODY_BYTES ? '' : Buffer.concat(chunks).toString('utf8')
      const outcome = size > MAX_BODY_BYTES ? reviewAdmission('{}', options.inject) : reviewAdmission(body, options.inject)
      options.log(size > MAX_BODY_BYTES ? `request body over ${MAX_BODY_BYTES} bytes; allowed unchanged` : outcome.summary)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome.review))
    })
  })
  server.requestTimeout = 10_000
  server.on('tlsClientError', () => {
    // A client that cannot finish the handshake (a probe, a scanner): nothing to answer.
  })

  const reload = (): void => {
    let next: { cert: Buffer; key: Buffer }
    try {
      next = readPair(options)
    } catch (error) {
      options.log(`certificate reload failed, keeping the current one: ${(error as Error).message}`)
      return
    }
    if (next.cert.equals(pair.cert) && next.key.equals(pair.key)) return
    server.setSecureContext({ cert: next.cert, key: next.key })
    pair = next
    options.log(`certificate reloaded from ${options.certFile}`)
  }
  // Secret volumes swap a symlinked directory and editors rename over files: watch the
  // directories, not the files, and let a burst of events settle into one reload.
  let timer: NodeJS.Timeout | undefined
  const watchers: FSWatcher[] = [...new Set([dirname(options.certFile), dirname(options.keyFile)])].map((dir) =>
    watch(dir, () => {
      clearTimeout(timer)
      timer = setTimeout(reload, 100)
    }),
  )

  const { port } = await listenOn(server, options.port, options.host)
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer)
        for (const w of watchers) w.close()
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}

/** Both files, checked to make a usable TLS context (a cert without its key, half-written files). */
function readPair(options: Pick<WebhookServerOptions, 'certFile' | 'keyFile'>): { cert: Buffer; key: Buffer } {
  const cert = readFileSync(options.certFile)
  const key = readFileSync(options.keyFile)
  createSecureContext({ cert, key })
  return { cert, key }
}
