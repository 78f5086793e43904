/**
 * A store on its own server (ClickHouse) that did not answer: refused,
 * reset, or timed out. The API answers it 503 with Retry-After, as OTLP
 * ingest does, rather than 500 with a stack trace in the log for every
 * request while the server is down.
 */
export class StoreUnreachableError extends Error {}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'])

/** `err` as a StoreUnreachableError when it says the server could not be reached; otherwise `err`. */
export function unreachableOr(err: unknown, what: string): unknown {
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  if ((typeof code === 'string' && NETWORK_CODES.has(code)) || /timeout|socket hang up|ECONNREFUSED/i.test(message)) {
    return new StoreUnreachableError(`${what} did not answer: ${message}`)
  }
  return err
}
