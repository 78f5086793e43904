/**
 * `tracecar inject` / `uninject` over a YAML (or JSON) stream: every document, `List`
 * items included, is visited; workloads get their pod template (un)injected, Services
 * their targetPort (service-target-port capture). A document nothing was done to is
 * written back as the very bytes it was read from; a changed one keeps its comments,
 * since only the changed nodes of the YAML Document are replaced.
 */
import { type Document, parseAllDocuments } from 'yaml'
import { applyPatchToYaml } from './yaml-document-patch.js'
import { diffJson } from './json-patch.js'
import { InjectError, type InjectOptions } from './inject-options.js'
import { isObject, jsonEqual, type JsonObject, type JsonValue } from './json.js'
import { injectPod, isInjected, uninjectPod } from './pod-injection.js'
import { isService, restoreService, retargetService, type CapturedWorkload } from './service-capture.js'
import { describeObject, getAt, podTemplatePath } from './workload-kinds.js'

export interface ManifestResult {
  text: string
  /** One line per workload or Service acted on or skipped, for stderr. */
  notes: string[]
}

/** One object of the stream: a top-level document or an item of a List. */
interface Located {
  doc: Document | undefined
  /** The object's path inside its document (List items: ['items', i]). */
  base: Array<string | number>
  object: JsonObject
}

type Transform = (item: Located) => { after: JsonObject } | undefined

export function injectManifests(source: string, sourceName: string, options: InjectOptions): ManifestResult {
  const notes: string[] = []
  const captured: CapturedWorkload[] = []
  const workloads: Transform = ({ object }) => {
    const path = podTemplatePath(object)
    if (path === undefined) return undefined
    const where = describeObject(object)
    const template = getAt(object, path)
    if (template === undefined) {
      notes.push(`${where}: skipped: it has no pod template`)
      return undefined
    }
    const metadata = isObject(object.metadata) ? object.metadata : {}
    const name =
      typeof metadata.name === 'string'
        ? metadata.name
        : typeof metadata.generateName === 'string'
          ? metadata.generateName.replace(/-$/, '')
          : 'unknown_service'
    const result = injectPod(template, { where, kind: String(object.kind), workload: path.length === 0 ? undefined : object, fallbackName: name }, options)
    if (!result.injected) {
      notes.push(`${where}: skipped: ${result.reason}`)
      // Asked not to be injected but injected before: leave it as it was found.
      return undefined
    }
    const s = result.status
    notes.push(
      `${where}: injected (${s.sidecar} sidecar, ${s.capture}: ` +
        (s.capture === 'move-app-port'
          ? `sidecar on ${s.appPort}, app moved to ${options.movedAppPort}: it must listen on $${s.originalEnv?.[0]?.name})`
          : s.capture === 'iptables'
            ? `port ${s.appPort} redirected to the sidecar)`
            : `Services targeting ${s.appPortName ?? s.appPort} now target the sidecar)`) +
        (s.outbound ? '; outbound calls through the sidecar' : '') +
        (s.joinByWorkerProcess === true ? `, joined by worker process (shareProcessNamespace: true; the sidecar must run as the app's user: --proxy-uid)` : ''),
    )
    if (s.capture === 'service-target-port') {
      const labels = isObject(result.template.metadata) && isObject(result.template.metadata.labels) ? result.template.metadata.labels : {}
      captured.push({
        where,
        namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
        labels: Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string')),
        appPort: s.appPort,
        ...(s.appPortName === undefined ? {} : { appPortName: s.appPortName }),
      })
    }
    return { after: setAt(object, path, result.template) }
  }
  const retargeted = new Set<string>()
  const services: Transform = ({ object }) => {
    if (!isService(object)) return undefined
    const result = retargetService(object, captured)
    if (result === undefined) return { after: restoreService(object) }
    for (const w of result.workloads) retargeted.add(w)
    notes.push(`${describeObject(object)}: targetPort now the sidecar's port (${result.workloads.join(', ')})`)
    return { after: result.service }
  }
  const out = transformStream(source, sourceName, [workloads, services])
  for (const w of captured) {
    if (!retargeted.has(w.where)) {
      notes.push(`${w.where}: no Service in this input selects it: point its Service's targetPort at the sidecar (port 15006, named tracecar-in)`)
    }
  }
  return { text: out, notes }
}

export function uninjectManifests(source: string, sourceName: string): ManifestResult {
  const notes: string[] = []
  const transform: Transform = ({ object }) => {
    if (isService(object)) {
      const after = restoreService(object)
      if (!jsonEqual(after, object)) notes.push(`${describeObject(object)}: targetPort restored`)
      return { after }
    }
    const path = podTemplatePath(object)
    const template = path === undefined ? undefined : getAt(object, path)
    if (path === undefined || template === undefined || !isInjected(template)) return undefined
    notes.push(`${describeObject(object)}: uninjected`)
    return { after: setAt(object, path, uninjectPod(template)) }
  }
  return { text: transformStream(source, sourceName, [transform]), notes }
}

/**
 * Runs the transforms over every object, in passes (a Service may come before the
 * Deployment it selects), and writes the stream back.
 */
function transformStream(source: string, sourceName: string, passes: readonly Transform[]): string {
  const json = parseJsonManifest(source)
  if (json !== undefined) {
    let objects = [json]
    for (const pass of passes) objects = objects.map((object) => visit(object, pass))
    return jsonEqual(objects[0], json) ? source : `${JSON.stringify(objects[0], null, 2)}\n`
  }
  const docs = parseAllDocuments(source, { prettyErrors: true })
  if (!Array.isArray(docs)) return source // an empty stream
  for (const doc of docs) {
    const error = doc.errors[0]
    if (error !== undefined) throw new InjectError(`${sourceName}: not valid YAML: ${error.message}`)
  }
  const changed = new Set<Document>()
  for (const pass of passes) {
    for (const doc of docs) {
      const before = doc.toJS({ maxAliasCount: 1000 }) as JsonValue
      if (!isObject(before)) continue
      for (const item of locate(doc, before)) {
        const result = pass(item)
        if (result === undefined) continue
        const ops = diffJson(item.object, result.after)
        if (ops.length === 0) continue
        applyPatchToYaml(doc, item.base, ops)
        changed.add(doc)
      }
    }
  }
  let out = ''
  let offset = 0
  for (const doc of docs) {
    const end = doc.range[2]
    const original = source.slice(offset, end)
    // Blank lines before a changed document are the previous document's bytes, not its own.
    out += changed.has(doc) ? /^\n*/.exec(original)![0] + doc.toString(stringifyOptions(original)) : original
    offset = end
  }
  return out + source.slice(offset)
}

function* locate(doc: Document, object: JsonObject): Generator<Located> {
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    for (const [i, item] of object.items.entries()) if (isObject(item)) yield { doc, base: ['items', i], object: item }
    return
  }
  yield { doc, base: [], object }
}

function visit(object: JsonObject, pass: Transform): JsonObject {
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    return { ...object, items: object.items.map((item) => (isObject(item) ? visit(item, pass) : item)) }
  }
  return pass({ doc: undefined, base: [], object })?.after ?? object
}

function parseJsonManifest(source: string): JsonObject | undefined {
  if (!source.trimStart().startsWith('{')) return undefined
  try {
    const value = JSON.parse(source) as JsonValue
    return isObject(value) ? value : undefined
  } catch {
    return undefined // YAML flow mapping, or broken: the YAML parser says which
  }
}

/**
 * Write the way the document was written: its indentation step (the first key nested
 * under a key), kubectl-style unindented sequences if it used them, flow padding.
 */
function stringifyOptions(original: string): { indent: number; indentSeq: boolean; lineWidth: number; flowCollectionPadding: boolean } {
  const nested = /^( *)[^\s#-][^\n]*:[ \t]*\n\1( +)[^\s#-]/m.exec(original)
  const indent = nested === null ? 2 : Math.min(Math.max(nested[2].length, 1), 8)
  return {
    indent,
    indentSeq: !/^( *)[^\s#-][^\n]*:[ \t]*\n\1- /m.test(original),
    lineWidth: 0,
    flowCollectionPadding: /[[{] [^\n]*[^ ] [\]}]/.test(original),
  }
}

function setAt(object: JsonObject, path: readonly string[], value: JsonObject): JsonObject {
  if (path.length === 0) return value
  const [head, ...rest] = path
  const child = isObject(object[head]) ? object[head] : {}
  return { ...object, [head]: setAt(child, rest, value) }
}
