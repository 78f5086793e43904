/** The attribute names tracecar keeps a copy of are still the ones OpenTelemetry defines. */
import t from 'tap'
import * as stable from '@opentelemetry/semantic-conventions'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'
import * as oursIncubating from '../../src/span/incubating-attributes.js'
import * as oursStable from '../../src/span/stable-attributes.js'

for (const [kind, ours, theirs] of [
  ['incubating', oursIncubating, incubating],
  ['stable', oursStable, stable],
] as const) {
  t.test(`every copied ${kind} attribute name equals the semantic-conventions package`, async (t) => {
    const names = Object.keys(ours)
    t.ok(names.length > 0)
    for (const name of names) t.equal((ours as Record<string, unknown>)[name], (theirs as Record<string, unknown>)[name], name)
  })
}
