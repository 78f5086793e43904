/**
 * Applies JSON Patch operations to a node inside a `yaml` Document, in place. Nodes the
 * operations do not reach are left alone, so their comments, quoting and flow/block style
 * survive; a replaced scalar keeps its own comment and style too.
 */
import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml'
import { parsePointer, type JsonPatchOperation } from './json-patch.js'

export function applyPatchToYaml(doc: Document, base: ReadonlyArray<string | number>, ops: readonly JsonPatchOperation[]): void {
  for (const op of ops) {
    const segments = parsePointer(op.path)
    if (segments.length === 0) throw new Error('a patch replacing the whole document is not applied to YAML')
    const parentPath = [...base, ...segments.slice(0, -1).map(toKey)]
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true)
    const last = segments[segments.length - 1]
    if (isSeq(parent)) {
      const index = last === '-' ? parent.items.length : Number(last)
      if (!Number.isInteger(index) || index < 0 || index > parent.items.length) throw new Error(`no item ${last} at ${op.path}`)
      if (op.op === 'add') parent.items.splice(index, 0, doc.createNode(op.value))
      else if (op.op === 'remove') parent.items.splice(index, 1)
      else parent.items[index] = replacement(doc, parent.items[index] as Node | undefined, op.value)
    } else if (isMap(parent)) {
      if (op.op === 'remove') parent.delete(last)
      else parent.set(last, replacement(doc, parent.get(last, true) as Node | undefined, op.value))
    } else {
      throw new Error(`cannot apply ${op.op} at ${op.path}: its parent is not a mapping or a sequence`)
    }
  }
}

/** A scalar replaced by a scalar keeps its node (comment, quoting); anything else is a new node. */
function replacement(doc: Document, existing: Node | undefined, value: unknown): Node {
  // Same JSON type only: a quoted "8080" given a number must not stay quoted.
  if (isScalar(existing) && value !== null && typeof value !== 'object' && typeof existing.value === typeof value) {
    existing.value = value
    return existing
  }
  return doc.createNode(value)
}

/** Sequence indices as numbers, so Document.getIn walks into YAMLSeq items. */
function toKey(segment: string): string | number {
  return /^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment
}
