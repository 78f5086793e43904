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
