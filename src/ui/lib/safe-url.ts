// Span data is untrusted: a value may only become a link when it is an absolute http(s) URL.
// Anything else (javascript:, data:, relative paths) stays plain text.
export function safeHttpUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null
  if (!/^https?:\/\//i.test(value)) return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/

/** Accepts a pasted trace id in the usual spellings (upper case, 16 hex digits, dashes). */
export function normaliseTraceId(input: string): string | null {
  const hex = input.trim().toLowerCase().replace(/[-\s]/g, '')
  if (/^[0-9a-f]{16}$/.test(hex)) return hex.padStart(32, '0')
  return TRACE_ID.test(hex) ? hex : null
}
