/**
 * service-target-port capture: the app keeps its port, the sidecar listens on 15006, and
 * each Service in the same input that selects the pod and targets the app's port is
 * pointed at the sidecar instead. The original targetPorts are kept in an annotation.
 */
import { ANNOTATION } from './annotations.js'
import { SIDECAR_INBOUND_PORT } from './inject-options.js'
import { cloneJson, isObject, type JsonObject, type JsonValue } from './json.js'

export interface CapturedWorkload {
  where: string
  namespace: string | undefined
  labels: Record<string, string>
  appPort: number
  appPortName?: string
}

interface ServiceStatus {
  /** Index in spec.ports -> the original targetPort (null: it had none). */
  ports: Record<string, JsonValue>
  created: string[]
}

export function isService(object: JsonObject): boolean {
  return object.kind === 'Service' && object.apiVersion === 'v1'
}

/** The Service pointed at the sidecars of the workloads it selects, or undefined if it selects none of them. */
export function retargetService(service: JsonObject, workloads: readonly CapturedWorkload[]): { service: JsonObject; workloads: string[] } | undefined {
  const base = restoreService(service)
  const spec = base.spec
  if (!isObject(spec) || !isObject(spec.selector) || !Array.isArray(spec.ports)) return undefined
  const selector = spec.selector
  if (Object.keys(selector).length === 0) return undefined
  const namespace = isObject(base.metadata) && typeof base.metadata.namespace === 'string' ? base.metadata.namespace : undefined
  const selected = workloads.filter((w) => w.namespace === namespace && Object.entries(selector).every(([key, value]) => w.labels[key] === value))
  if (selected.length === 0) return undefined
  const status: ServiceStatus = { ports: {}, created: [] }
  spec.ports.forEach((port, index) => {
    if (!isObject(port)) return
    const target = port.targetPort ?? port.port
    if (selected.some((w) => target === w.appPort || (w.appPortName !== undefined && target === w.appPortName))) {
      status.ports[String(index)] = port.targetPort ?? null
      port.targetPort = SIDECAR_INBOUND_PORT
    }
  })
  if (Object.keys(status.ports).length === 0) return undefined
  if (!isObject(base.metadata)) {
    base.metadata = {}
    status.created.push('metadata')
  }
  if (!isObject(base.metadata.annotations)) {
    base.metadata.annotations = {}
    status.created.push('annotations')
  }
  base.metadata.annotations[ANNOTATION.originalTargetPort] = JSON.stringify(status)
  return { service: base, workloads: selected.map((w) => w.where) }
}

/** The Service with the targetPorts it had before `tracecar inject` (a copy; unchanged if it was never retargeted). */
export function restoreService(service: JsonObject): JsonObject {
  const out = cloneJson(service)
  const metadata = out.metadata
  const text = isObject(metadata) && isObject(metadata.annotations) ? metadata.annotations[ANNOTATION.originalTargetPort] : undefined
  if (typeof text !== 'string' || !isObject(metadata) || !isObject(metadata.annotations)) return out
  let status: ServiceStatus
  try {
    status = JSON.parse(text) as ServiceStatus
  } catch {
    return out
  }
  const ports = isObject(out.spec) && Array.isArray(out.spec.ports) ? out.spec.ports : []
  for (const [index, original] of Object.entries(status.ports ?? {})) {
    const port = ports[Number(index)]
    if (!isObject(port)) continue
    if (original === null) delete port.targetPort
    else port.targetPort = original
  }
  delete metadata.annotations[ANNOTATION.originalTargetPort]
  const created = new Set(status.created ?? [])
  if (Object.keys(metadata.annotations).length === 0 && created.has('annotations')) delete metadata.annotations
  if (Object.keys(metadata).length === 0 && created.has('metadata')) delete out.metadata
  return out
}
