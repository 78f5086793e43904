/**
 * `tracecar inject` on realistic manifests, as a real child process: the output matches the
 * reviewed golden file, every object in it is valid against the Kubernetes schema, the
 * documents it had nothing to do with come out byte for byte, comments survive, injecting
 * again changes nothing, and `tracecar uninject` gives back the input exactly.
 * UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { joinStreams } from '../../src/k8s/manifest-input.ts'
import { parseAllDocuments } from 'yaml'
import { fixturePath, runTracecar } from './run-tracecar.js'
import { validateObject } from './kubernetes-schema.js'

const FIXTURES = [
  'deployment-basic.yaml',
  'statefulset-multi-container.yaml',
  'list-of-workloads.yaml',
  'service-target-port.yaml',
  'iptables.yaml',
  'opted-out.yaml',
  'pod.json',
  'odd-streams.yaml',
  'four-space-indent.yaml',
]
const FLAGS = ['--image', 'tracecar:test']
/** Each fixture's injected output, for the idempotence and uninject checks below. */
const outputs = new Map<string, string>()

function objectsOf(text: string, json: boolean): Record<string, unknown>[] {
  if (json) return [JSON.parse(text) as Record<string, unknown>]
  return parseAllDocuments(text as string)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors[0].message)
      return doc.toJS() as Record<string, unknown> | null
    })
    .filter((o): o is Record<string, unknown> => o !== null)
}

for (const name of FIXTURES) {
  t.test(name, async (t) => {
    const input = readFileSync(fixturePath(name), 'utf8')
    const json = name.endsWith('.json')
    const injected = await runTracecar(['inject', ...FLAGS, '-f', fixturePath(name)])
    t.equal(injected.code, 0, `inject exits 0; it said: ${injected.stderr.trim()}`)

    const golden = fixturePath(`golden/${name.replace(/(\.\w+)$/, '.injected$1')}`)
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(fixturePath('golden'), { recursive: true })
      writeFileSync(golden, injected.stdout)
    }
    t.ok(existsSync(golden), `golden file ${golden} exists (UPDATE_GOLDEN=1 writes it; review it before committing)`)
    if (existsSync(golden)) t.equal(injected.stdout, readFileSync(golden, 'utf8'), 'matches the golden file')

    const objects = objectsOf(injected.stdout, json)
    t.equal(objects.length, objectsOf(input, json).length, 'as many objects out as in')
    for (const object of objects) {
      if (String(object.apiVersion).startsWith('example.com/')) continue // a custom resource: no schema here
      t.doesNotThrow(
        () => validateObject(object),
        `${String(object.kind)} ${JSON.stringify((object.metadata as { name?: string } | undefined)?.name)} is valid for the Kubernetes API`,
      )
    }

    if (!json) {
      for (const comment of input.match(/#[^\n]*/g) ?? []) {
        t.ok(injected.stdout.includes(comment.replace(/^#\s+/, '# ').trimEnd()) || injected.stdout.includes(comment), `comment kept: ${comment}`)
      }
      // Documents without a workload to inject come out as the same bytes.
      const untouched = parseAllDocuments(input).filter((doc) => {
        const o = doc.toJS() as {
          kind?: string
          metadata?: { annotations?: Record<string, string> }
          spec?: { template?: { spec?: { hostNetwork?: boolean } } }
        } | null
        return (
          o !== null &&
          (o.kind === 'ConfigMap' ||
            o.kind === 'Secret' ||
            o.metadata?.annotations?.['tracecar.io/inject'] === 'disabled' ||
            o.spec?.template?.spec?.hostNetwork === true)
        )
      })
      for (const doc of untouched) {
        const text = input.slice(doc.range[0], doc.range[1])
        t.ok(injected.stdout.includes(text), `untouched document kept byte for byte: ${text.split('\n').find((l) => l.startsWith('kind'))}`)
      }
    }

    outputs.set(name, injected.stdout)
  })
}

// One process for all files (a directory, like kubectl -f dir): far fewer slow starts on a
// loaded machine, and the output is the files' outputs in name order, so any file's
// difference still shows in the diff.
t.test('injecting twice changes nothing; uninject gives back every input byte for byte', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-inject-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const names = [...FIXTURES].sort()
  for (const name of names) writeFileSync(join(dir, name), outputs.get(name) ?? '')

  const twice = await runTracecar(['inject', ...FLAGS, '-q', '-f', dir])
  t.equal(twice.code, 0, `inject of its own output exits 0; it said: ${twice.stderr.trim()}`)
  t.equal(twice.stdout, joinStreams(names.map((n) => outputs.get(n) ?? '')), 'injecting twice changes nothing')

  const back = await runTracecar(['uninject', '-q', '-f', dir])
  t.equal(back.code, 0, `uninject exits 0; it said: ${back.stderr.trim()}`)
  t.equal(back.stdout, joinStreams(names.map((n) => readFileSync(fixturePath(n), 'utf8'))), 'uninject gives back the inputs byte for byte')

  const fromStdin = await runTracecar(['uninject', '-f', '-'], outputs.get('statefulset-multi-container.yaml'))
  t.equal(fromStdin.stdout, readFileSync(fixturePath('statefulset-multi-container.yaml'), 'utf8'), 'the same from stdin')
})

t.test('a directory of manifests is read like kubectl -f dir, and uninjected back file by file', async (t) => {
  const result = await runTracecar(['inject', ...FLAGS, '-q', '-f', fixturePath('')])
  t.equal(result.code, 0, `inject exits 0; it said: ${result.stderr.trim()}`)
  t.equal(result.stderr, '', '--quiet prints no summary')
  const docs = parseAllDocuments(result.stdout)
  t.ok(
    docs.every((d) => d.errors.length === 0),
    'one valid YAML stream',
  )
  const kinds = docs.map((d) => (d.toJS() as { kind: string } | null)?.kind)
  t.ok(kinds.includes('StatefulSet') && kinds.includes('List') && kinds.includes('Pod'), 'every file is in it, the JSON pod too')
})
