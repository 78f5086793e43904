/**
 * IngestedLog[] → an OTLP/JSON ExportLogsServiceRequest, so lines arriving
 * through Loki push or the raw endpoint take exactly the path OTLP logs take
 * (the collector's IngestPipeline: store, listeners, forwarding).
 * Records are grouped by resource (service + stream labels).
 */
import type { IngestedLog, LogAttributeValue } from './ingested-log.js'

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean }

function anyValue(v: LogAttributeValue): AnyValue {
  if (typeof v === 'string') return { stringValue: v }
  if (typeof v === 'boolean') return { boolValue: v }
  return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v }
}

function keyValues(attrs: Record<string, LogAttributeValue>): { key: string; value: AnyValue }[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }))
}

export function logsToOtlpRequest(logs: readonly IngestedLog[], scopeName: string): Record<string, unknown> {
  const byResource = new Map<string, { resource: Record<string, LogAttributeValue>; records: unknown[] }>()
  for (const log of logs) {
    const resource: Record<string, LogAttributeValue> = { ...log.resource, 'service.name': log.service }
    const id = JSON.stringify(resource)
    let group = byResource.get(id)
    if (group === undefined) {
      group = { resource, records: [] }
      byResource.set(id, group)
    }
    group.records.push({
      timeUnixNano: log.timeUnixNano.toString(),
      observedTimeUnixNano: log.observedTimeUnixNano.toString(),
      severityNumber: log.severityNumber,
      severityText: log.severityText,
      body: { stringValue: log.body },
      attributes: keyValues(log.attributes),
      traceId: log.traceId,
      spanId: log.spanId,
    })
  }
  return {
    resourceLogs: [...byResource.values()].map((g) => ({
      resource: { attributes: keyValues(g.resource) },
      scopeLogs: [{ scope: { name: scopeName }, logRecords: g.records }],
    })),
  }
}
