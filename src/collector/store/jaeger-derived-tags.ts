/**
 * The tags Jaeger's OTLP translation adds to a span (api/jaeger-format.ts
 * shows them) as a condition on a column every store keeps: `column = value`,
 * or undefined when the key is not one of them (or the value cannot be one of
 * its values). Stores turn it into their own SQL.
 */
const KIND_BY_JAEGER_NAME: Record<string, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 }
const STATUS_BY_NAME: Record<string, number> = { OK: 1, ERROR: 2 }

export interface DerivedTagCondition {
  column: 'kind' | 'status_code' | 'status_message' | 'scope_name' | 'scope_version' | 'trace_state'
  value: number | string
}

export function derivedTagCondition(key: string, value: string): DerivedTagCondition | undefined {
  switch (key) {
    case 'span.kind': {
      const kind = KIND_BY_JAEGER_NAME[value.toLowerCase()]
      return kind === undefined ? undefined : { column: 'kind', value: kind }
    }
    case 'error':
      return value === 'true' ? { column: 'status_code', value: 2 } : undefined
    case 'otel.status_code': {
      const code = STATUS_BY_NAME[value.toUpperCase()]
      return code === undefined ? undefined : { column: 'status_code', value: code }
    }
    case 'otel.status_description':
      return { column: 'status_message', value }
    case 'otel.scope.name':
      return { column: 'scope_name', value }
    case 'otel.scope.version':
      return { column: 'scope_version', value }
    case 'w3c.tracestate':
      return { column: 'trace_state', value }
    default:
      return undefined
  }
}
