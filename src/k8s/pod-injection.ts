/**
 * Adding the sidecar to one pod template (or bare pod), and taking it away again. Works on
 * plain JSON and returns a new object; the manifest stream and the webhook both turn the
 * difference into a JSON Patch. Everything injection changes in the user's own containers
 * is written down in the `tracecar.io/injected` annotation so that uninject undoes exactly it.
 */
import { ANNOTATION, injectRequested, readAnnotation } from './annotations.js'
import {
  CAPTURE_MODES,
  INIT_CONTAINER_NAME,
  InjectError,
  SIDECAR_ADMIN_PORT,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_INBOUND_PORT,
  SIDECAR_OUTBOUND_PORT,
  type CaptureMode,
  type InjectOptions,
} from './inject-options.js'
import { cloneJson, isObject, type JsonObject, type JsonValue } from './json.js'
import { buildIptablesInitContainer, buildSidecarContainer, sidecarListenPort } from './sidecar-containers.js'

export interface PodContext {
  /** How messages name the object, e.g. `deployment/web` or `pod/web-7d9f (namespace shop)`. */
  where: string
  /** The kind of the object holding the template (`Pod` for a bare pod). */
  kind: string
  /** The workload around the template, for its annotations; undefined for a bare pod. */
  workload?: JsonObject
  /** The service name when no annotation or label gives one (the workload's name). */
  fallbackName: string
}

/** What injection did, stored as JSON in the `tracecar.io/injected` annotation. */
export interface InjectionStatus {
  version: 1
  sidecar: 'native' | 'legacy'
  capture: CaptureMode
  /** The app's container and the port clients use to reach it. */
  container: string
  appPort: number
  /** The app port's name in the container, when it has one (Services may target it by name). */
  appPortName?: string
  /** Where the sidecar listens. */
  listenPort: number
  /** The app container's variables injection set, as they were before (null: not set), in the order set. */
  originalEnv?: Array<{ name: string; entry: JsonObject | null }>
  /** The app's HTTP_PROXY/HTTPS_PROXY point at the sidecar's outbound proxy. */
  outbound?: boolean
  /** Calls are joined by worker process: the pod shares one PID namespace. */
  joinByWorkerProcess?: boolean
  /** Fields that did not exist before injection and are removed with it when left empty. */
  created: string[]
}

export type PodInjection = { injected: true; template: JsonObject; status: InjectionStatus } | { injected: false; reason: string }

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const JOB_KINDS = new Set(['Job', 'CronJob'])

export function injectPod(original: JsonObject, context: PodContext, options: InjectOptions): PodInjection {
  // Injecting an injected pod starts from the pod as it was: the same flags give the same
  // result (idempotent), other flags re-inject.
  const template = isInjected(original) ? uninjectPod(original) : cloneJson(original)
  const where = context.where
  const annotation = (name: string): string | undefined => readAnnotation(name, template, context.workload)

  if (injectRequested(annotation(ANNOTATION.inject)) === false) return { injected: false, reason: `${ANNOTATION.inject} is disabled` }
  const spec = template.spec
  if (!isObject(spec) || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    return { injected: false, reason: 'it has no containers' }
  }
  if (spec.hostNetwork === true) return { injected: false, reason: "it uses the node's network (hostNetwork), which a sidecar must not take ports on" }
  const native = !options.legacySidecar
  if (!native && (JOB_KINDS.has(context.kind) || ownedByJob(template))) {
    return { injected: false, reason: 'a legacy sidecar never exits, so the Job would never complete (native sidecars need no flag: Kubernetes 1.29+)' }
  }

  const capture = readCapture(annotation(ANNOTATION.capture), options.capture, where)
  const sampling = readSampling(annotation(ANNOTATION.sampling), options.sampling, where)
  const collectorEndpoint = readEndpoint(annotation(ANNOTATION.collectorEndpoint) ?? options.collectorEndpoint, where)
  const portEnv = annotation(ANNOTATION.appPortEnv) ?? options.appPortEnv
  if (!ENV_NAME.test(portEnv)) throw new InjectError(`${where}: ${ANNOTATION.appPortEnv} = ${JSON.stringify(portEnv)} is not an environment variable name`)
  const containers = spec.containers.filter(isObject)
  const app = findAppPort(containers, annotation(ANNOTATION.appPort), portEnv, where)
  const labels = isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : {}
  const serviceName = annotation(ANNOTATION.serviceName) || stringOr(labels['app.kubernetes.io/name']) || stringOr(labels.app) || context.fallbackName
  if (capture === 'move-app-port' && app.port === options.movedAppPort) {
    throw new InjectError(`${where}: the app already listens on ${app.port}, the port it would be moved to: pick another with --moved-app-port`)
  }
  if ([SIDECAR_ADMIN_PORT, SIDECAR_OUTBOUND_PORT, ...(capture === 'move-app-port' ? [] : [SIDECAR_INBOUND_PORT])].includes(app.port)) {
    throw new InjectError(
      `${where}: the app's port ${app.port} is one the sidecar needs for itself (admin ${SIDECAR_ADMIN_PORT}, outbound ${SIDECAR_OUTBOUND_PORT}, inbound ${SIDECAR_INBOUND_PORT})`,
    )
  }
  const outboundAnnotation = injectRequested(annotation(ANNOTATION.outbound))
  if (annotation(ANNOTATION.outbound) && outboundAnnotation === undefined) {
    throw new InjectError(`${where}: ${ANNOTATION.outbound} = ${JSON.stringify(annotation(ANNOTATION.outbound))}: expected enabled or disabled`)
  }
  const outbound = outboundAnnotation ?? options.outbound

  const created: string[] = []
  const status: InjectionStatus = {
    version: 1,
    sidecar: native ? 'native' : 'legacy',
    capture,
    container: app.container,
    appPort: app.port,
    ...(app.portName === undefined ? {} : { appPortName: app.portName }),
    listenPort: sidecarListenPort(capture, app.port),
    created,
  }

  let upstreamPort = app.port
  const appContainer = containers.find((c) => c.name === app.container)!
  const originalEnv: Array<{ name: string; entry: JsonObject | null }> = []
  if (capture === 'move-app-port') {
    upstreamPort = options.movedAppPort
    originalEnv.push(movePortEnv(appContainer, portEnv, app.port, upstreamPort, where, created))
  }
  if (outbound) {
    // Both spellings: curl reads only the lower-case http_proxy, Go and Python either.
    const proxy = `http://127.0.0.1:${SIDECAR_OUTBOUND_PORT}`
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
      originalEnv.push(
        setEnv(appContainer, name, proxy, created, (existing) => {
          throw new InjectError(
            `${where}: container ${app.container} already sets ${name} ${'value' in existing ? `= ${JSON.stringify(existing.value)}` : 'from valueFrom'}: ` +
              `the sidecar cannot be its proxy too; set ${ANNOTATION.outbound}: disabled`,
          )
        }),
      )
    }
    status.outbound = true
    if (options.joinByWorkerProcess) {
      // The sidecar must see the app's processes to tell which worker made a call.
      if (spec.shareProcessNamespace === false) {
        throw new InjectError(
          `${where}: shareProcessNamespace is false, and joining calls by worker process needs it true: drop --join-by-worker-process or that setting`,
        )
      }
      if (spec.shareProcessNamespace === undefined) {
        spec.shareProcessNamespace = true
        created.push('shareProcessNamespace')
      }
      status.joinByWorkerProcess = true
    }
  }
  if (originalEnv.length > 0) status.originalEnv = originalEnv

  const sidecar = buildSidecarContainer(
    {
      serviceName,
      collectorEndpoint,
      sampling,
      capture,
      appPort: app.port,
      upstreamPort,
      appContainerName: app.container,
      joinByWorkerProcess: status.joinByWorkerProcess === true,
    },
    options,
    native,
  )
  const additions: JsonObject[] = []
  if (capture === 'iptables') additions.push(buildIptablesInitContainer(app.port, options))
  if (native) additions.push(sidecar)
  if (additions.length > 0) {
    if (!Array.isArray(spec.initContainers)) {
      spec.initContainers = []
      created.push('initContainers')
    }
    spec.initContainers.push(...additions)
  }
  if (!native) spec.containers.push(sidecar)

  if (!isObject(template.metadata)) {
    template.metadata = {}
    created.push('metadata')
  }
  if (!isObject(template.metadata.annotations)) {
    template.metadata.annotations = {}
    created.push('annotations')
  }
  template.metadata.annotations[ANNOTATION.status] = JSON.stringify(status)
  return { injected: true, template, status }
}

export function isInjected(pod: JsonObject): boolean {
  if (readInjectionStatus(pod) !== undefined) return true
  const spec = pod.spec
  if (!isObject(spec)) return false
  const named = (list: JsonValue | undefined): boolean =>
    Array.isArray(list) && list.some((c) => isObject(c) && (c.name === SIDECAR_CONTAINER_NAME || c.name === INIT_CONTAINER_NAME))
  return named(spec.containers) || named(spec.initContainers)
}

export function readInjectionStatus(pod: JsonObject): InjectionStatus | undefined {
  const metadata = pod.metadata
  const text = isObject(metadata) && isObject(metadata.annotations) ? metadata.annotations[ANNOTATION.status] : undefined
  if (typeof text !== 'string') return undefined
  try {
    const status = JSON.parse(text) as unknown
    return isObject(status) && status.version === 1 ? (status as unknown as InjectionStatus) : undefined
  } catch {
    return undefined
  }
}

/** The pod as it was before injection: tracecar's containers gone, the app's variable restored. */
export function uninjectPod(pod: JsonObject): JsonObject {
  const out = cloneJson(pod)
  const status = readInjectionStatus(out)
  const created = new Set(status?.created ?? [])
  const spec = out.spec
  if (isObject(spec)) {
    const ours = (c: JsonValue): boolean => isObject(c) && (c.name === SIDECAR_CONTAINER_NAME || c.name === INIT_CONTAINER_NAME)
    if (Array.isArray(spec.containers)) spec.containers = spec.containers.filter((c) => !ours(c))
    if (Array.isArray(spec.initContainers)) {
      spec.initContainers = spec.initContainers.filter((c) => !ours(c))
      if (spec.initContainers.length === 0 && created.has('initContainers')) delete spec.initContainers
    }
    if (created.has('shareProcessNamespace')) delete spec.shareProcessNamespace
    const saved = status?.originalEnv ?? []
    const container = Array.isArray(spec.containers) ? spec.containers.find((c) => isObject(c) && c.name === status?.container) : undefined
    if (saved.length > 0 && isObject(container) && Array.isArray(container.env)) {
      const env = container.env
      for (const { name, entry } of [...saved].reverse()) {
        const index = env.findIndex((e) => isObject(e) && e.name === name)
        if (index < 0) continue
        if (entry === null) env.splice(index, 1)
        else env[index] = entry
      }
      if (env.length === 0 && created.has('env')) delete container.env
    }
  }
  const metadata = out.metadata
  if (isObject(metadata) && isObject(metadata.annotations)) {
    delete metadata.annotations[ANNOTATION.status]
    if (Object.keys(metadata.annotations).length === 0 && created.has('annotations')) delete metadata.annotations
    if (Object.keys(metadata).length === 0 && created.has('metadata')) delete out.metadata
  }
  return out
}

/**
 * move-app-port: the app is told its new port through its port variable. If the variable
 * is already set it must name the app port (else the app is not where we think it is).
 */
function movePortEnv(
  container: JsonObject,
  name: string,
  appPort: number,
  movedTo: number,
  where: string,
  created: string[],
): { name: string; entry: JsonObject | null } {
  return setEnv(container, name, String(movedTo), created, (existing) => {
    if (existing.value === String(appPort)) return
    const shown = 'value' in existing ? `= ${JSON.stringify(existing.value)}` : 'from valueFrom'
    throw new InjectError(
      `${where}: container ${String(container.name)} sets ${name} ${shown}, not the app port ${appPort}: ` +
        `set ${ANNOTATION.appPort} to the port the app really uses, or use ${ANNOTATION.capture}: iptables`,
    )
  })
}

/**
 * Sets one variable of the container, appended if new; `vet` sees an existing entry first
 * and throws if it must not be replaced. Returns the entry as it was, for uninject.
 */
function setEnv(
  container: JsonObject,
  name: string,
  value: string,
  created: string[],
  vet: (existing: JsonObject) => void,
): { name: string; entry: JsonObject | null } {
  const index = Array.isArray(container.env) ? container.env.findIndex((e) => isObject(e) && e.name === name) : -1
  if (index >= 0) {
    const env = container.env as JsonValue[]
    const existing = env[index] as JsonObject
    vet(existing)
    env[index] = { ...existing, value }
    return { name, entry: cloneJson(existing) }
  }
  if (!Array.isArray(container.env)) {
    container.env = []
    if (!created.includes('env')) created.push('env')
  }
  container.env.push({ name, value })
  return { name, entry: null }
}

interface AppPort {
  container: string
  port: number
  portName?: string
}

/**
 * The app's port: `tracecar.io/app-port` (a number, or a port name declared by a
 * container); else the declared TCP port a container's port variable names (PORT=9000);
 * else the first port named `http` or `http-*` (the Kubernetes naming convention, so
 * `metrics` and `https` are passed over); else the first declared TCP port.
 */
function findAppPort(containers: JsonObject[], requested: string | undefined, portEnv: string, where: string): AppPort {
  const declared = containers.flatMap((c) =>
    (Array.isArray(c.ports) ? c.ports.filter(isObject) : [])
      .filter((p) => typeof p.containerPort === 'number' && (p.protocol === undefined || p.protocol === 'TCP'))
      .map((p) => ({ container: String(c.name), port: p.containerPort as number, ...(typeof p.name === 'string' ? { portName: p.name } : {}) })),
  )
  if (requested !== undefined && requested !== '') {
    if (/^[0-9]+$/.test(requested)) {
      const port = Number(requested)
      if (port < 1 || port > 65535) throw new InjectError(`${where}: ${ANNOTATION.appPort} = ${JSON.stringify(requested)} is not a port (1-65535)`)
      return declared.find((d) => d.port === port) ?? { container: String(containers[0].name), port }
    }
    const byName = declared.find((d) => d.portName === requested)
    if (byName === undefined) {
      throw new InjectError(
        `${where}: ${ANNOTATION.appPort} = ${JSON.stringify(requested)} names no TCP containerPort of the pod (declared: ${declared.map((d) => d.portName ?? d.port).join(', ') || 'none'})`,
      )
    }
    return byName
  }
  if (declared.length === 0) {
    throw new InjectError(`${where}: no container declares a TCP containerPort, so there is no port to trace: set the ${ANNOTATION.appPort} annotation`)
  }
  const envPort = (name: string): string | undefined => {
    const container = containers.find((c) => c.name === name)
    const entry = Array.isArray(container?.env) ? container.env.find((e) => isObject(e) && e.name === portEnv) : undefined
    return isObject(entry) && typeof entry.value === 'string' ? entry.value : undefined
  }
  return (
    declared.find((d) => envPort(d.container) === String(d.port)) ??
    declared.find((d) => d.portName !== undefined && /^http(-|$)/.test(d.portName)) ??
    declared[0]
  )
}

function readCapture(value: string | undefined, fallback: CaptureMode, where: string): CaptureMode {
  if (value === undefined || value === '') return fallback
  if ((CAPTURE_MODES as readonly string[]).includes(value)) return value as CaptureMode
  throw new InjectError(`${where}: ${ANNOTATION.capture} = ${JSON.stringify(value)}: expected one of ${CAPTURE_MODES.join(', ')}`)
}

function readSampling(value: string | undefined, fallback: number | undefined, where: string): number | undefined {
  if (value === undefined || value === '') return fallback
  const ratio = Number(value)
  if (!/^\s*[0-9.]+\s*$/.test(value) || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new InjectError(`${where}: ${ANNOTATION.sampling} = ${JSON.stringify(value)}: expected a ratio between 0 and 1, e.g. 0.1`)
  }
  return ratio
}

function readEndpoint(value: string, where: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InjectError(`${where}: collector endpoint ${JSON.stringify(value)} is not an http(s) URL, e.g. http://tracecar-collector.tracecar:4318`)
  }
  return value
}

function ownedByJob(pod: JsonObject): boolean {
  const metadata = pod.metadata
  const owners = isObject(metadata) ? metadata.ownerReferences : undefined
  return Array.isArray(owners) && owners.some((o) => isObject(o) && o.kind === 'Job')
}

function stringOr(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : ''
}
