import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TestServer {
  server: http.Server
  url: string
  port: number
  close(): Promise<void>
}

/** An HTTP server on 127.0.0.1 with any free port; closed with all its connections. */
export async function startHttpServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  trailers: NodeJS.Dict<string>
}

/** A plain node:http request (no keep-alive pooling), body collected as text. */
export function request(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders | string[]; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), trailers: res.trailers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}
