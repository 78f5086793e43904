/**
 * The containers tracecar adds to a pod: the proxy sidecar, and for iptables capture the
 * init container that redirects the app's port to it. Plain JSON, the pod spec's own shape.
 */
import type { JsonObject } from './json.js'
import {
  INIT_CONTAINER_NAME,
  SIDECAR_ADMIN_PORT,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_INBOUND_PORT,
  type CaptureMode,
  type InjectOptions,
} from './inject-options.js'

export interface SidecarSettings {
  serviceName: string
  collectorEndpoint: string
  sampling?: number
  capture: CaptureMode
  /** The port clients reach: the sidecar listens here in move-app-port mode. */
  appPort: number
  /** Where the app really listens (the sidecar's upstream). */
  upstreamPort: number
  appContainerName: string
  /** Outbound calls are also joined by worker process (the pod shares its PID namespace). */
  joinByWorkerProcess?: boolean
}

/** The port the sidecar listens on for each capture mode. */
export function sidecarListenPort(capture: CaptureMode, appPort: number): number {
  return capture === 'move-app-port' ? appPort : SIDECAR_INBOUND_PORT
}

export function buildSidecarContainer(settings: SidecarSettings, options: InjectOptions, native: boolean): JsonObject {
  const listenPort = sidecarListenPort(settings.capture, settings.appPort)
  const env: JsonObject[] = [
    { name: 'TRACECAR_UPSTREAM', value: `http://127.0.0.1:${settings.upstreamPort}` },
    { name: 'TRACECAR_LISTEN_PORT', value: String(listenPort) },
    // The kubelet probes the admin port on the pod's address, not on loopback.
    { name: 'TRACECAR_ADMIN_HOST', value: '0.0.0.0' },
    { name: 'OTEL_SERVICE_NAME', value: settings.serviceName },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: settings.collectorEndpoint },
  ]
  if (settings.joinByWorkerProcess === true) env.push({ name: 'TRACECAR_OUTBOUND_JOIN', value: 'context,correlation,worker-process' })
  if (settings.sampling !== undefined) {
    env.push({ name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' }, { name: 'OTEL_TRACES_SAMPLER_ARG', value: String(settings.sampling) })
  }
  // Names read by src/resource/resource.ts for the k8s.* resource attributes.
  env.push(
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    { name: 'K8S_CONTAINER_NAME', value: settings.appContainerName },
  )
  const ports: JsonObject[] = []
  if (settings.capture === 'service-target-port') ports.push({ name: 'tracecar-in', containerPort: SIDECAR_INBOUND_PORT, protocol: 'TCP' })
  ports.push({ name: 'tracecar-admin', containerPort: SIDECAR_ADMIN_PORT, protocol: 'TCP' })
  const probe = (path: string, periodSeconds: number, failureThreshold: number): JsonObject => ({
    httpGet: { path, port: SIDECAR_ADMIN_PORT },
    periodSeconds,
    failureThreshold,
  })
  const container: JsonObject = {
    name: SIDECAR_CONTAINER_NAME,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['proxy'],
  }
  // A native sidecar: started before the app, stopped after it, and no obstacle to a Job finishing.
  if (native) container.restartPolicy = 'Always'
  Object.assign(container, {
    ports,
    env,
    resources: {
      requests: { cpu: options.resources.cpuRequest, memory: options.resources.memoryRequest },
      limits: { memory: options.resources.memoryLimit },
    },
    // /healthz, not /ready: /ready waits for the app, which a native sidecar's startup gates.
    startupProbe: probe('/healthz', 1, 30),
    livenessProbe: probe('/healthz', 10, 3),
    readinessProbe: probe('/ready', 5, 3),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: options.proxyUid,
      runAsGroup: options.proxyUid,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  })
  return container
}

/**
 * iptables capture: traffic arriving for the app's port goes to the sidecar instead; so do
 * local connections to that port, except the sidecar's own (its user id), which must reach
 * the app. Re-runnable: chains are flushed and jumps added once.
 */
export function iptablesScript(appPort: number, proxyUid: number): string {
  const to = `-j REDIRECT --to-ports ${SIDECAR_INBOUND_PORT}`
  return [
    'set -e',
    'iptables -t nat -N TRACECAR_INBOUND 2>/dev/null || iptables -t nat -F TRACECAR_INBOUND',
    `iptables -t nat -A TRACECAR_INBOUND -p tcp --dport ${appPort} ${to}`,
    'iptables -t nat -C PREROUTING -p tcp -j TRACECAR_INBOUND 2>/dev/null || iptables -t nat -A PREROUTING -p tcp -j TRACECAR_INBOUND',
    'iptables -t nat -N TRACECAR_LOCAL 2>/dev/null || iptables -t nat -F TRACECAR_LOCAL',
    `iptables -t nat -A TRACECAR_LOCAL -m owner --uid-owner ${proxyUid} -j RETURN`,
    `iptables -t nat -A TRACECAR_LOCAL -o lo -p tcp --dport ${appPort} ${to}`,
    'iptables -t nat -C OUTPUT -p tcp -j TRACECAR_LOCAL 2>/dev/null || iptables -t nat -A OUTPUT -p tcp -j TRACECAR_LOCAL',
  ].join('\n')
}

export function buildIptablesInitContainer(appPort: number, options: InjectOptions): JsonObject {
  return {
    name: INIT_CONTAINER_NAME,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', iptablesScript(appPort, options.proxyUid)],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    // Root with NET_ADMIN/NET_RAW only for the pod's own network namespace, nothing else.
    securityContext: {
      runAsNonRoot: false,
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  }
}
