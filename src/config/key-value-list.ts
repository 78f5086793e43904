/**
 * The `key1=value1,key2=value2` format of OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS: entries split on `,`, each on its first `=`, both sides
 * trimmed and percent-decoded (so `%2C` is a comma and `%3D` an equals sign inside a value).
 */
export class KeyValueListError extends Error {}

export function parseKeyValueList(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const rawEntry of text.split(',')) {
    const entry = rawEntry.trim()
    if (entry === '') continue // `a=1,,b=2` and a trailing comma are harmless
    const equals = entry.indexOf('=')
    if (equals <= 0) throw new KeyValueListError(`entry ${JSON.stringify(entry)} is not key=value`)
    const key = percentDecode(entry.slice(0, equals).trim(), entry)
    const value = percentDecode(entry.slice(equals + 1).trim(), entry)
    if (key === '') throw new KeyValueListError(`entry ${JSON.stringify(entry)} has an empty key`)
    result[key] = value
  }
  return result
}

function percentDecode(text: string, entry: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new KeyValueListError(`entry ${JSON.stringify(entry)} has a bad percent-escape (write % as %25)`)
  }
}
