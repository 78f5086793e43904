/** What `tracecar inject` and `tracecar webhook` are told by their flags: the defaults for every pod. */
import { readFileSync } from 'node:fs'

export const CAPTURE_MODES = ['move-app-port', 'service-target-port', 'iptables'] as const
export type CaptureMode = (typeof CAPTURE_MODES)[number]

export interface SidecarResources {
  cpuRequest: string
  memoryRequest: string
  memoryLimit: string
}

export interface InjectOptions {
  /** The tracecar image (the same image runs proxy, collector and webhook). */
  image: string
  /** Base URL of the collector's OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_ENDPOINT). */
  collectorEndpoint: string
  capture: CaptureMode
  /** A regular container instead of a native sidecar (Kubernetes before 1.29). */
  legacySidecar: boolean
  /** Ratio of traces kept; undefined leaves the sidecar's default sampler. */
  sampling?: number
  /** move-app-port: where the app is moved to; the sidecar takes over the app's port. */
  movedAppPort: number
  /** move-app-port: the variable telling the app its port. */
  appPortEnv: string
  /** The sidecar's user id: the iptables rules let this user's traffic through unredirected. */
  proxyUid: number
  /** Point the app's HTTP_PROXY/HTTPS_PROXY at the sidecar's outbound proxy (CLIENT spans, context carried on). */
  outbound: boolean
  /**
   * With `outbound`: the sidecar also joins calls by worker process (join rule
   * `worker-process`), which needs the pod's processes in one PID namespace
   * (`shareProcessNamespace: true`) and the sidecar running as the app's user.
   */
  joinByWorkerProcess: boolean
  resources: SidecarResources
}

/** The sidecar's ports (src/config/config-schema.ts defaults). */
export const SIDECAR_INBOUND_PORT = 15006
export const SIDECAR_ADMIN_PORT = 15000
/** The sidecar's outbound forward proxy, loopback only. */
export const SIDECAR_OUTBOUND_PORT = 15001

export const SIDECAR_CONTAINER_NAME = 'tracecar-proxy'
export const INIT_CONTAINER_NAME = 'tracecar-init'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/**
 * The image the repository's Dockerfile builds, tagged as its first line says
 * (`docker build -t tracecar:<version> .`). No registry serves it: a cluster gets it
 * from `kind load docker-image` or a registry the user pushes it to (then `--image`).
 */
export const DEFAULT_IMAGE = `tracecar:${VERSION}`
/** How to get DEFAULT_IMAGE, said in the help and when inject uses it. */
export const DEFAULT_IMAGE_HOW_TO =
  `build it from the tracecar repository (docker build -t ${DEFAULT_IMAGE} .) and load it into the cluster ` +
  `(kind load docker-image ${DEFAULT_IMAGE}), or push it to your registry and pass --image <registry>/${DEFAULT_IMAGE}`

export const DEFAULT_INJECT_OPTIONS: InjectOptions = {
  image: DEFAULT_IMAGE,
  collectorEndpoint: 'http://tracecar-collector.tracecar.svc.cluster.local:4318',
  capture: 'move-app-port',
  legacySidecar: false,
  movedAppPort: 15080,
  appPortEnv: 'PORT',
  proxyUid: 1337,
  outbound: false,
  joinByWorkerProcess: false,
  resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' },
}

/** A workload cannot be injected as asked: the message names it and says what to change. */
export class InjectError extends Error {
  override readonly name = 'InjectError'
}
