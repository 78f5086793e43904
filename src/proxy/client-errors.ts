/**
 * What to answer when Node's HTTP parser rejects what a client sent, before
 * it became a request. `undefined`: there was no request to answer (the
 * connection was reset or went idle between requests).
 */
export interface ClientFailure {
  status: number
  errorType: string
  message: string
}

export function describeClientError(err: Error & { code?: string }): ClientFailure | undefined {
  const code = err.code ?? ''
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, errorType: 'request_header_fields_too_large', message: 'request headers exceed the configured limit (limits.maxHeaderBytes)' }
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, errorType: 'request_timeout', message: 'the request headers did not arrive in time' }
  }
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    return { status: 413, errorType: 'chunk_extensions_too_large', message: 'chunk extensions exceed the parser limit' }
  }
  if (code.startsWith('HPE_')) {
    return { status: 400, errorType: 'malformed_request', message: `${code}: ${err.message}` }
  }
  return undefined
}

/**
 * A request's `Transfer-Encoding` (Node's joined value) whose final coding is not
 * `chunked`: its body has no length the proxy and the service would agree on, so it
 * is answered 400 and the connection closed (RFC 9112 §6.1). Node's parser rejects
 * it too, but only after the request event. `undefined` when it ends in chunked.
 */
export function describeTransferEncoding(value: string): ClientFailure | undefined {
  const comma = value.lastIndexOf(',')
  const last = (comma === -1 ? value : value.slice(comma + 1)).trim()
  if (last.length === 7 && last.toLowerCase() === 'chunked') return undefined
  return {
    status: 400,
    errorType: 'malformed_request',
    message: `Transfer-Encoding ${JSON.stringify(value.slice(0, 100))} does not end in chunked (RFC 9112 §6.1)`,
  }
}
