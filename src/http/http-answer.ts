/**
 * How tracecar's own listeners answer (the collector's ports, the sidecar's
 * admin listener): JSON or a text line, and one way to answer an error, so
 * that a route says what went wrong by throwing an `HttpError` and never
 * writes an error answer by hand.
 */
import type { ServerResponse } from 'node:http'

/** The two shapes of an error answer: `{"error": message}` for the APIs, a text line for plain endpoints. */
export type ErrorFormat = 'json' | 'text'

/**
 * A failure whose answer is known: its status, a message the caller can act
 * on (what was wrong, with what input, what is allowed) and any headers the
 * status needs (`retry-after`, `allow`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
  }
}

/** When each request started, for its Server-Timing header (benchmarks read the server's share of latency). */
const requestStarts = new WeakMap<ServerResponse, number>()

export function markRequestStart(res: ServerResponse): void {
  requestStarts.set(res, performance.now())
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body)
  const started = requestStarts.get(res)
  if (started !== undefined) res.setHeader('server-timing', `app;dur=${(performance.now() - started).toFixed(3)}`)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** An error answer; once the headers are out it can no longer be said, so the connection is cut instead. */
export function sendError(res: ServerResponse, status: number, message: string, format: ErrorFormat, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (format === 'json') sendJson(res, status, { error: message }, headers)
  else sendText(res, status, `${message}\n`, headers)
}

/**
 * What a route threw, answered: an `HttpError` as it says, anything else as a
 * 500 naming the error, after `unexpected` has seen it (to log the stack).
 */
export function sendFailure(res: ServerResponse, err: unknown, format: ErrorFormat, unexpected?: (err: Error) => void): void {
  if (err instanceof HttpError) {
    sendError(res, err.status, err.message, format, err.headers)
    return
  }
  const error = err instanceof Error ? err : new Error(String(err))
  unexpected?.(error)
  sendError(res, 500, `internal error: ${error.message}`, format)
}
