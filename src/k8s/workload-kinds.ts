/** Which objects carry a pod template, and where: the kinds `tracecar inject` rewrites. */
import { isObject, type JsonObject } from './json.js'

/** The path from the object to its pod template ([] for a bare Pod). */
const TEMPLATE_PATHS: Record<string, { groups: readonly string[]; path: readonly string[] }> = {
  Deployment: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  StatefulSet: { groups: ['apps'], path: ['spec', 'template'] },
  DaemonSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  ReplicaSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  ReplicationController: { groups: [''], path: ['spec', 'template'] },
  Job: { groups: ['batch'], path: ['spec', 'template'] },
  CronJob: { groups: ['batch'], path: ['spec', 'jobTemplate', 'spec', 'template'] },
  Pod: { groups: [''], path: [] },
}

/** The pod template's path inside a workload, or undefined for anything that is not one. */
export function podTemplatePath(object: JsonObject): readonly string[] | undefined {
  if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') return undefined
  const entry = TEMPLATE_PATHS[object.kind]
  if (entry === undefined) return undefined
  // `apps/v1` -> apps; `v1` -> the core group. A CRD that happens to be called Deployment is not ours.
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''
  return entry.groups.includes(group) ? entry.path : undefined
}

export function getAt(object: JsonObject, path: readonly string[]): JsonObject | undefined {
  let node: unknown = object
  for (const key of path) node = isObject(node) ? node[key] : undefined
  return isObject(node) ? node : undefined
}

/** `deployment/web` (`-n shop` appended when the manifest says), as kubectl names objects. */
export function describeObject(object: JsonObject): string {
  const metadata = isObject(object.metadata) ? object.metadata : {}
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '(unnamed)'
  const namespace = typeof metadata.namespace === 'string' ? ` -n ${metadata.namespace}` : ''
  return `${String(object.kind).toLowerCase()}/${name}${namespace}`
}
