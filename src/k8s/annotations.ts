/**
 * The `tracecar.io/*` annotations: how a workload or pod configures its own injection.
 * An annotation on the pod template wins over the same one on the workload, which wins
 * over the flag given to `tracecar inject` / `tracecar webhook`.
 */
import { isObject, type JsonObject } from './json.js'

export const ANNOTATION = {
  /** `enabled` (or `true`) / `disabled` (or `false`). */
  inject: 'tracecar.io/inject',
  serviceName: 'tracecar.io/service-name',
  /** The container port the app serves on: a number or a port name. */
  appPort: 'tracecar.io/app-port',
  /** move-app-port | service-target-port | iptables */
  capture: 'tracecar.io/capture',
  /** The environment variable that tells the app which port to listen on (move-app-port). */
  appPortEnv: 'tracecar.io/app-port-env',
  /** A ratio 0..1: parentbased_traceidratio with this ratio. */
  sampling: 'tracecar.io/sampling',
  /** `enabled`: the app's HTTP_PROXY/HTTPS_PROXY point at the sidecar's outbound proxy. */
  outbound: 'tracecar.io/outbound',
  /** Base URL of the collector's OTLP/HTTP receiver. */
  collectorEndpoint: 'tracecar.io/collector-endpoint',
  /** Written by tracecar: what injection did, so that uninject can undo exactly that. */
  status: 'tracecar.io/injected',
  /** Written by tracecar on a Service whose targetPort it rewrote: the original targetPort. */
  originalTargetPort: 'tracecar.io/original-target-port',
} as const

export function annotationsOf(object: JsonObject | undefined): Record<string, string> {
  const metadata = object?.metadata
  const annotations = isObject(metadata) ? metadata.annotations : undefined
  const out: Record<string, string> = {}
  if (isObject(annotations)) {
    for (const [key, value] of Object.entries(annotations)) if (typeof value === 'string') out[key] = value
  }
  return out
}

/** The pod template's annotation, else the workload's. */
export function readAnnotation(name: string, template: JsonObject, workload: JsonObject | undefined): string | undefined {
  const fromTemplate = annotationsOf(template)[name]
  if (fromTemplate !== undefined) return fromTemplate.trim()
  return workload === undefined ? undefined : annotationsOf(workload)[name]?.trim()
}

/** `tracecar.io/inject`: true = enabled, false = disabled, undefined = not said. */
export function injectRequested(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  const v = value.toLowerCase()
  if (v === 'enabled' || v === 'true') return true
  if (v === 'disabled' || v === 'false') return false
  return undefined
}
