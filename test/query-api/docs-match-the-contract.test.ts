// docs/api.md (and the metrics and alerts routes in docs/logs-metrics-alerts.md) against the
// query API's one set of types, src/query-api/query-api-types.ts, and the routes the collector
// serves: every route documented and served alike, every documented field a field of its type,
// every field of the type documented.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import ts from 'typescript'
import { queryRoutes } from '../../src/collector/api/query-routes.js'
import { tracePageRoutes } from '../../src/collector/api/trace-page-routes.js'
import type { QueryStores } from '../../src/collector/api/query-routes.js'

const root = join(import.meta.dirname, '..', '..')
const apiDoc = readFileSync(join(root, 'docs', 'api.md'), 'utf8')
const metricsDoc = readFileSync(join(root, 'docs', 'logs-metrics-alerts.md'), 'utf8')

// ---- The contract, read with the TypeScript parser ----

interface Field {
  optional: boolean
  /** the fields of an object this field holds (itself, or as the elements of an array), when known */
  inner?: Map<string, Field>
}

const source = ts.createSourceFile(
  'query-api-types.ts',
  readFileSync(join(root, 'src', 'query-api', 'query-api-types.ts'), 'utf8'),
  ts.ScriptTarget.ES2022,
  true,
)
const interfaces = new Map<string, ts.InterfaceDeclaration>()
source.forEachChild((node) => {
  if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node)
})

function fieldsOf(members: ts.NodeArray<ts.TypeElement>): Map<string, Field> {
  const fields = new Map<string, Field>()
  for (const member of members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) continue
    fields.set(member.name.getText(source), { optional: member.questionToken !== undefined, inner: innerOf(member.type) })
  }
  return fields
}

function innerOf(type: ts.TypeNode): Map<string, Field> | undefined {
  if (ts.isArrayTypeNode(type)) return innerOf(type.elementType)
  if (ts.isTypeLiteralNode(type)) return fieldsOf(type.members)
  if (ts.isTypeReferenceNode(type)) {
    const declaration = interfaces.get(type.typeName.getText(source))
    return declaration === undefined ? undefined : fieldsOf(declaration.members)
  }
  return undefined
}

function contract(name: string): Map<string, Field> {
  const declaration = interfaces.get(name)
  if (declaration === undefined) throw new Error(`src/query-api/query-api-types.ts has no interface ${name}`)
  return fieldsOf(declaration.members)
}

// ---- The docs' shapes: `{ a, b: { c }, d: [{ e }] }`, with prose in parentheses and backticks between ----

interface DocShape {
  keys: Map<string, DocShape | undefined>
}

/** The brace group starting at `from` (the index of its `{`), as text. */
function braceGroup(text: string, from: number): string {
  let depth = 0
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return text.slice(from, i + 1)
  }
  throw new Error(`unbalanced braces from: ${text.slice(from, from + 80)}`)
}

function parseShape(group: string): DocShape {
  let text = group.replace(/`/g, '').replace(/\s+/g, ' ')
  // Prose in parentheses ("(null for a root)", "(exact, strings)") is not a key.
  for (let before = ''; before !== text;) {
    before = text
    text = text.replace(/\([^()]*\)/g, '')
  }
  return parseObject(text.trim())
}

function parseObject(text: string): DocShape {
  const body = text.slice(1, -1)
  const pieces: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
    else if (c === ',' && depth === 0) {
      pieces.push(body.slice(start, i))
      start = i + 1
    }
  }
  pieces.push(body.slice(start))
  const keys = new Map<string, DocShape | undefined>()
  for (const piece of pieces.map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^"?([A-Za-z][A-Za-z0-9]*)"?\s*(?::\s*(.*))?$/s.exec(piece)
    if (match === null) throw new Error(`cannot read a key from ${JSON.stringify(piece)}`)
    const value = (match[2] ?? '').trim()
    const object = value.startsWith('{') ? value : value.startsWith('[{') ? value.slice(1, -1).trim() : undefined
    keys.set(match[1]!, object === undefined ? undefined : parseObject(object))
  }
  return { keys }
}

/** Documented keys against the contract's fields, both ways; `mentioned` is prose that may name optional fields. */
function compare(t: Test, what: string, doc: DocShape, fields: Map<string, Field>, mentioned: string): void {
  for (const [key, inner] of doc.keys) {
    const field = fields.get(key)
    if (field === undefined) {
      t.fail(`${what}: the docs name "${key}", which the contract does not have`)
      continue
    }
    if (inner !== undefined && field.inner !== undefined) compare(t, `${what}.${key}`, inner, field.inner, mentioned)
  }
  for (const [name, field] of fields) {
    if (doc.keys.has(name)) continue
    if (field.optional && mentioned.includes(`"${name}"`)) continue
    t.fail(`${what}: the contract's field "${name}" is not documented`)
  }
  t.pass(`${what}: ${[...doc.keys.keys()].join(', ')}`)
}

// ---- The checks ----

/** Each query route and the type of its answer. */
const ROUTE_ANSWERS: Record<string, string> = {
  '/api/services': 'ServicesResponse',
  '/api/services/:service/operations': 'OperationsResponse',
  '/api/traces': 'TraceSearchResponse',
  '/api/traces/:traceId': 'TraceResponse',
  '/api/traces/:traceId/logs': 'LogsResponse',
  '/api/traces/:traceId/linked-from': 'LinkedFromResponse',
  '/api/traces/:traceId/compact': 'CompactTraceResponse',
  '/api/traces/:traceId/spans/:spanId': 'SpanResponse',
  '/api/traces/:traceId/find': 'TraceFindResponse',
  '/api/logs': 'LogsResponse',
  '/api/dependencies': 'DependenciesResponse',
}

/** The "## Query API" sections of docs/api.md by route (the heading up to its query string). */
function documentedRoutes(): Map<string, string> {
  const part = apiDoc.slice(apiDoc.indexOf('## Query API'), apiDoc.indexOf('## Jaeger-shaped API'))
  const sections = new Map<string, string>()
  const headings = [...part.matchAll(/^### `([^`?]+)[^`]*`$/gm)]
  headings.forEach((heading, i) => {
    sections.set(heading[1]!, part.slice(heading.index! + heading[0].length, headings[i + 1]?.index ?? part.length))
  })
  return sections
}

t.test('docs/api.md documents every query route the collector serves, and no other', async (t) => {
  const served = [...queryRoutes({} as QueryStores), ...tracePageRoutes({} as QueryStores['spans'])]
    .filter((r) => r.method === 'GET')
    .map((r) => r.path)
    .sort()
  const documented = [...documentedRoutes().keys()].sort()
  t.same(documented, served, 'the headings under "Query API" are the GET routes of query-routes.ts and trace-page-routes.ts')
  t.same(Object.keys(ROUTE_ANSWERS).sort(), served, 'and each has the type of its answer in the contract')
})

t.test("each route's documented answer has the fields of its type", async (t) => {
  for (const [route, section] of documentedRoutes()) {
    const brace = section.indexOf('{')
    if (!t.ok(brace >= 0, `${route}: the docs show its answer`)) continue
    compare(t, `${route} → ${ROUTE_ANSWERS[route]}`, parseShape(braceGroup(section, brace)), contract(ROUTE_ANSWERS[route]!), section)
  }
})

t.test('the shapes docs/api.md names have exactly the fields of the contract', async (t) => {
  const shapes: Array<[docName: string, type: string]> = [
    ['TraceSummary', 'TraceSummary'],
    ['Span', 'Span'],
    ['Log', 'LogRecord'],
    ['IncomingLink', 'IncomingLink'],
  ]
  for (const [docName, type] of shapes) {
    const at = new RegExp(`\\b${docName}:\\s*\`\\{`).exec(apiDoc)
    if (!t.ok(at, `docs/api.md says what a ${docName} is ("${docName}: {...}")`)) continue
    compare(t, `${docName} → ${type}`, parseShape(braceGroup(apiDoc, apiDoc.indexOf('{', at!.index))), contract(type), '')
  }
})

t.test('the metrics and alerts routes in docs/logs-metrics-alerts.md have the fields of the contract', async (t) => {
  const routes: Array<[route: string, type: string]> = [
    ['`GET /api/metrics/services', 'ServiceMetricsResponse'],
    ['`GET /api/metrics/series', 'MetricsSeries'],
    ['`GET /api/alerts`', 'AlertsResponse'],
  ]
  for (const [route, type] of routes) {
    const at = metricsDoc.indexOf(route)
    if (!t.ok(at >= 0, `${route} is documented`)) continue
    compare(t, `${route.replace(/`/g, '')} → ${type}`, parseShape(braceGroup(metricsDoc, metricsDoc.indexOf('{', at))), contract(type), '')
  }
})
