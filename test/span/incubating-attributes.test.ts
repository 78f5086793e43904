/** The incubating attribute names tracecar keeps a copy of are still the ones OpenTelemetry defines. */
import t from 'tap'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'
import * as ours from '../../src/span/incubating-attributes.js'

t.test('every copied incubating attribute name equals the semantic-conventions package', async (t) => {
  const names = Object.keys(ours) as Array<keyof typeof ours>
  t.ok(names.length > 0)
  for (const name of names) t.equal(ours[name], (incubating as Record<string, unknown>)[name], name)
})
