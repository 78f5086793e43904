/**
 * How a failure to reach or hear from the upstream is answered, the way users
 * of Envoy expect: unreachable or reset 502, timed out 504. `errorType` is the
 * span's `error.type` and the access log's `error_type`.
 */
export interface UpstreamFailure {
  status: number
  errorType: string
  message: string
}

const BY_CODE: Record<string, { status: number; errorType: string }> = {
  ECONNREFUSED: { status: 502, errorType: 'connection_refused' },
  ENOTFOUND: { status: 502, errorType: 'dns_error' },
  EAI_AGAIN: { status: 502, errorType: 'dns_error' },
  EHOSTUNREACH: { status: 502, errorType: 'host_unreachable' },
  ENETUNREACH: { status: 502, errorType: 'host_unreachable' },
  ECONNRESET: { status: 502, errorType: 'upstream_reset' },
  EPIPE: { status: 502, errorType: 'upstream_reset' },
  UND_ERR_SOCKET: { status: 502, errorType: 'upstream_reset' },
  UND_ERR_CLOSED: { status: 502, errorType: 'upstream_reset' },
  UND_ERR_CONNECT_TIMEOUT: { status: 504, errorType: 'connect_timeout' },
  ETIMEDOUT: { status: 504, errorType: 'connect_timeout' },
  UND_ERR_HEADERS_TIMEOUT: { status: 504, errorType: 'headers_timeout' },
  UND_ERR_BODY_TIMEOUT: { status: 504, errorType: 'idle_timeout' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { status: 502, errorType: 'upstream_protocol_error' },
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: { status: 400, errorType: 'request_length_mismatch' },
  HPE_INVALID_CONSTANT: { status: 502, errorType: 'upstream_protocol_error' },
  // The raw engine's own pool (src/proxy/http1/upstream-pool.ts).
  ERR_UPSTREAM_CLOSED: { status: 502, errorType: 'upstream_reset' },
  ERR_UPSTREAM_CONNECT_TIMEOUT: { status: 504, errorType: 'connect_timeout' },
  ERR_UPSTREAM_HEADERS_TIMEOUT: { status: 504, errorType: 'headers_timeout' },
  ERR_UPSTREAM_BODY_TIMEOUT: { status: 504, errorType: 'idle_timeout' },
}

export function classifyUpstreamError(err: Error & { code?: string }): UpstreamFailure {
  const known = err.code !== undefined ? BY_CODE[err.code] : undefined
  if (known !== undefined) return { ...known, message: err.message }
  if (err.code?.startsWith('HPE_')) return { status: 502, errorType: 'upstream_protocol_error', message: err.message }
  return { status: 502, errorType: err.code ?? err.name ?? 'upstream_error', message: err.message }
}
