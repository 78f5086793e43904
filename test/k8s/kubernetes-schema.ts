/**
 * Checks manifests against the Kubernetes API schema (kubernetes-models' validators), plus
 * what those validators let through: unknown field names in containers, probes and
 * security contexts, taken from the generated type declarations of the same package.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { CronJob } from 'kubernetes-models/batch/v1/CronJob'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Pod } from 'kubernetes-models/v1/Pod'
import { Service } from 'kubernetes-models/v1/Service'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration'

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Deployment,
  StatefulSet,
  DaemonSet,
  ReplicaSet,
  Job,
  CronJob,
  Pod,
  Service,
  ConfigMap,
  Secret,
  Namespace,
  PersistentVolumeClaim,
  ServiceAccount,
  MutatingWebhookConfiguration,
}

/** Throws with the schema's message if the object is not a valid instance of its kind. */
export function validateObject(object: Record<string, unknown>): void {
  if (object.kind === 'List') {
    for (const item of object.items as Record<string, unknown>[]) validateObject(item)
    return
  }
  const Model = MODELS[String(object.kind)]
  if (Model === undefined) throw new Error(`no schema for kind ${String(object.kind)}`)
  new Model(object).validate()
}

const require = createRequire(import.meta.url)

/** The property names an interface of kubernetes-models declares (from its .d.ts). */
function declaredFields(modulePath: string, interfaceName: string): Set<string> {
  const text = readFileSync(require.resolve(`kubernetes-models/${modulePath}`).replace(/\.c?js$/, '.d.ts'), 'utf8')
  const start = text.indexOf(`export interface ${interfaceName} `)
  const body = text.slice(start, text.indexOf('\n}', start))
  return new Set([...body.matchAll(/^\s+"([A-Za-z]+)"\??:/gm)].map((m) => m[1]))
}

export const CONTAINER_FIELDS = declaredFields('v1/Container', 'IContainer')
export const PROBE_FIELDS = declaredFields('v1/Probe', 'IProbe')
export const SECURITY_CONTEXT_FIELDS = declaredFields('v1/SecurityContext', 'ISecurityContext')

/** Field names of a container (and its probes and securityContext) the API does not know. */
export function unknownContainerFields(container: Record<string, unknown>): string[] {
  const unknown = Object.keys(container).filter((k) => !CONTAINER_FIELDS.has(k))
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const value = container[probe] as Record<string, unknown> | undefined
    if (value)
      unknown.push(
        ...Object.keys(value)
          .filter((k) => !PROBE_FIELDS.has(k))
          .map((k) => `${probe}.${k}`),
      )
  }
  const sc = container.securityContext as Record<string, unknown> | undefined
  if (sc)
    unknown.push(
      ...Object.keys(sc)
        .filter((k) => !SECURITY_CONTEXT_FIELDS.has(k))
        .map((k) => `securityContext.${k}`),
    )
  return unknown
}
