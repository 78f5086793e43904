/**
 * One AdmissionReview (admission.k8s.io/v1) in, one out. A pod being created is injected
 * by the same `injectPod` as `tracecar inject` and the change is returned as a base64
 * RFC 6902 JSON Patch. Whatever goes wrong (unparseable body, a bad annotation, a bug)
 * the answer is still a well-formed review that allows the pod, with a warning that
 * `kubectl` shows: tracing must never stop a deployment.
 *
 * Which namespaces are injected is decided by the MutatingWebhookConfiguration's
 * namespaceSelector (`tracecar.io/inject=enabled`): the review carries only the
 * namespace's name, and fetching its labels here would add an API call and a failure
 * mode to every pod creation. A pod opts out with the annotation `tracecar.io/inject: disabled`.
 */
import { InjectError, type InjectOptions } from './inject-options.js'
import { diffJson } from './json-patch.js'
import { isObject, type JsonObject, type JsonValue } from './json.js'
import { injectPod, isInjected } from './pod-injection.js'

export interface AdmissionOutcome {
  /** The AdmissionReview to send back (always HTTP 200). */
  review: JsonObject
  /** One line for the log. */
  summary: string
}

export function reviewAdmission(body: string, options: InjectOptions): AdmissionOutcome {
  let parsed: JsonValue
  try {
    parsed = JSON.parse(body) as JsonValue
  } catch (error) {
    return allow('', `the request body is not JSON (${(error as Error).message}); pod allowed unchanged`, true)
  }
  const request = isObject(parsed) ? parsed.request : undefined
  if (!isObject(parsed) || parsed.kind !== 'AdmissionReview' || !isObject(request) || typeof request.uid !== 'string') {
    return allow(isObject(request) && typeof request.uid === 'string' ? request.uid : '', 'not an AdmissionReview with a request.uid; allowed unchanged', true)
  }
  const uid = request.uid
  const kind = isObject(request.kind) ? request.kind.kind : undefined
  if (kind !== 'Pod' || request.operation !== 'CREATE' || typeof request.subResource === 'string') {
    return allow(uid, `${String(request.operation)} ${String(kind)}: not a pod creation, nothing to do`, false)
  }
  const pod = request.object
  if (!isObject(pod)) return allow(uid, 'the review has no pod in request.object; allowed unchanged', true)
  const namespace = typeof request.namespace === 'string' ? request.namespace : undefined
  const where = describePod(pod, namespace)
  if (isInjected(pod)) return allow(uid, `${where}: already injected`, false)
  try {
    const result = injectPod(pod, { where, kind: 'Pod', fallbackName: serviceNameFallback(pod) }, options)
    if (!result.injected) return allow(uid, `${where}: skipped: ${result.reason}`, false)
    const patch = diffJson(pod, result.template)
    const warnings =
      result.status.capture === 'service-target-port'
        ? [`tracecar: ${where} traced on port 15006: point the Service's targetPort at it (the webhook cannot change Services)`]
        : []
    return {
      review: response(uid, {
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        ...(warnings.length > 0 ? { warnings } : {}),
      }),
      summary: `${where}: injected (${result.status.capture}, app port ${result.status.appPort})`,
    }
  } catch (error) {
    const message = error instanceof InjectError ? error.message : `${where}: injection failed: ${(error as Error).message}`
    return allow(uid, `${message}; allowed unchanged`, true)
  }
}

function allow(uid: string, summary: string, warn: boolean): AdmissionOutcome {
  return { review: response(uid, warn ? { warnings: [`tracecar: ${summary}`] } : {}), summary }
}

function response(uid: string, extra: JsonObject): JsonObject {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } }
}

function describePod(pod: JsonObject, namespace: string | undefined): string {
  const metadata = isObject(pod.metadata) ? pod.metadata : {}
  const name =
    typeof metadata.name === 'string' && metadata.name ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '(unnamed)'
  const ns = namespace ?? (typeof metadata.namespace === 'string' ? metadata.namespace : undefined)
  return `pod/${name}${ns ? ` -n ${ns}` : ''}`
}

/**
 * The name `tracecar inject` would have used: the workload's. The review has only the pod,
 * so it is read from the pod's controller: a ReplicaSet `web-5d9c7b8f6` (less the
 * pod-template-hash label) is Deployment `web`; a Job `nightly-28930210` made by a CronJob
 * (a scheduled-time suffix) is CronJob `nightly`; a StatefulSet, DaemonSet or Job is itself.
 * A pod without a controller is named after itself (generateName without its dash).
 */
function serviceNameFallback(pod: JsonObject): string {
  const metadata = isObject(pod.metadata) ? pod.metadata : {}
  const labels = isObject(metadata.labels) ? metadata.labels : {}
  const owners = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences.filter(isObject) : []
  const owner = owners.find((o) => o.controller === true) ?? owners[0]
  if (owner !== undefined && typeof owner.name === 'string' && owner.name) {
    const hash = labels['pod-template-hash']
    if (owner.kind === 'ReplicaSet' && typeof hash === 'string' && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1)
    if (owner.kind === 'Job' && /-[0-9]{8,}$/.test(owner.name)) return owner.name.replace(/-[0-9]{8,}$/, '')
    return owner.name
  }
  const name =
    typeof metadata.generateName === 'string' && metadata.generateName
      ? metadata.generateName.replace(/-$/, '')
      : typeof metadata.name === 'string'
        ? metadata.name
        : ''
  return name || 'unknown_service'
}
