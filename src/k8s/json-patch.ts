/**
 * RFC 6902 JSON Patch: computing the operations that turn one JSON value into another.
 * The webhook answers with them, and `tracecar inject` applies the very same operations
 * to the YAML document (yaml-document-patch.ts) so that everything they do not touch,
 * comments included, stays as the user wrote it.
 */
import { isObject, jsonEqual, type JsonValue } from './json.js'

export type JsonPatchOperation =
  { op: 'add'; path: string; value: JsonValue } | { op: 'replace'; path: string; value: JsonValue } | { op: 'remove'; path: string }

/** A JSON Pointer (RFC 6901) segment: `~` and `/` escaped. */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1')
}

export function pointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join('')
}

export function parsePointer(path: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new Error(`JSON pointer ${JSON.stringify(path)} must start with /`)
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * The operations turning `before` into `after`, applied in order. Objects are compared
 * key by key; arrays keep their common prefix and suffix and change, add or remove only
 * the items between (explicit indices, never `/-`, so the patch reads exactly).
 */
export function diffJson(before: JsonValue, after: JsonValue, base: Array<string | number> = []): JsonPatchOperation[] {
  if (jsonEqual(before, after)) return []
  if (isObject(before) && isObject(after)) {
    const ops: JsonPatchOperation[] = []
    for (const key of Object.keys(before)) {
      if (!(key in after)) ops.push({ op: 'remove', path: pointer([...base, key]) })
    }
    for (const key of Object.keys(after)) {
      if (!(key in before)) ops.push({ op: 'add', path: pointer([...base, key]), value: after[key] })
      else ops.push(...diffJson(before[key], after[key], [...base, key]))
    }
    return ops
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffArray(before, after, base)
  if (base.length === 0) return [{ op: 'replace', path: '', value: after }]
  return [{ op: 'replace', path: pointer(base), value: after }]
}

function diffArray(before: JsonValue[], after: JsonValue[], base: Array<string | number>): JsonPatchOperation[] {
  // Common prefix and suffix stay; what lies between is changed item by item, then
  // the surplus is removed (from the end backwards, so indices stay valid) or added.
  let start = 0
  while (start < before.length && start < after.length && jsonEqual(before[start], after[start])) start++
  let endBefore = before.length
  let endAfter = after.length
  while (endBefore > start && endAfter > start && jsonEqual(before[endBefore - 1], after[endAfter - 1])) {
    endBefore--
    endAfter--
  }
  const ops: JsonPatchOperation[] = []
  const common = Math.min(endBefore - start, endAfter - start)
  const removed = endBefore - start - common
  const added = endAfter - start - common
  for (let i = 0; i < common; i++) ops.push(...diffJson(before[start + i], after[start + i], [...base, start + i]))
  for (let i = removed - 1; i >= 0; i--) ops.push({ op: 'remove', path: pointer([...base, start + common + i]) })
  for (let i = 0; i < added; i++) {
    ops.push({ op: 'add', path: pointer([...base, start + common + i]), value: after[start + common + i] })
  }
  return ops
}
