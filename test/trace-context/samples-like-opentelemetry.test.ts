import t from 'tap'
import { SAMPLER_NAMES, createSampler, extractContext, isSamplerName, newTraceId, traceIdRatioAccumulation } from '../../src/trace-context/index.js'

const SAMPLED = { sampled: true }
const NOT_SAMPLED = { sampled: false }
const DEFERRED = { sampled: undefined }

function sampledFraction(sample: (traceId: string) => boolean, count: number): number {
  let sampled = 0
  for (let i = 0; i < count; i++) if (sample(newTraceId())) sampled++
  return sampled / count
}

t.test('the sampler names are the OTEL_TRACES_SAMPLER ones', async (t) => {
  t.same([...SAMPLER_NAMES].sort(), ['always_off', 'always_on', 'parentbased_always_off', 'parentbased_always_on', 'parentbased_traceidratio', 'traceidratio'])
  t.ok(isSamplerName('parentbased_always_on'))
  t.notOk(isSamplerName('jaeger_remote'))
})

t.test('unknown names and bad ratios are rejected with a message naming them', async (t) => {
  t.throws(() => createSampler('sometimes', 1), /unknown sampler "sometimes": expected one of always_on, always_off/)
  t.throws(() => createSampler('traceidratio', 1.5), /sampler ratio 1.5 for "traceidratio" is out of range/)
  t.throws(() => createSampler('parentbased_traceidratio', -0.1), RangeError)
  t.throws(() => createSampler('traceidratio', Number.NaN), RangeError)
  t.doesNotThrow(() => createSampler('always_on', Number.NaN), 'the ratio only matters to ratio samplers')
})

t.test('always_on and always_off ignore the parent', async (t) => {
  const on = createSampler('always_on', 1)
  const off = createSampler('always_off', 1)
  for (const parent of [undefined, SAMPLED, NOT_SAMPLED, DEFERRED]) {
    t.equal(on(newTraceId(), parent), true)
    t.equal(off(newTraceId(), parent), false)
  }
})

t.test('ratio 0 samples nothing and ratio 1 samples everything, exactly', async (t) => {
  const none = createSampler('traceidratio', 0)
  const all = createSampler('traceidratio', 1)
  let noneSampled = 0
  let allSampled = 0
  for (let i = 0; i < 20_000; i++) {
    const id = newTraceId()
    if (none(id, undefined)) noneSampled++
    if (all(id, undefined)) allSampled++
  }
  t.equal(noneSampled, 0)
  t.equal(allSampled, 20_000)
  t.equal(all('ffffffff000000000000000000000000', undefined), true, 'even the id OpenTelemetry would skip at ratio 1')
  t.equal(none('00000000000000000000000000000001', SAMPLED), false, 'traceidratio ignores the parent')
})

t.test('ratio 0.25 samples about a quarter of random trace ids', async (t) => {
  const sample = createSampler('traceidratio', 0.25)
  const fraction = sampledFraction((id) => sample(id, undefined), 40_000)
  // 40k trials: standard deviation ~0.0022; 0.02 is ~9 sd.
  t.ok(Math.abs(fraction - 0.25) < 0.02, `sampled ${fraction}`)
})

t.test('the decision is deterministic per trace id', async (t) => {
  const sample = createSampler('traceidratio', 0.5)
  let disagreements = 0
  for (let i = 0; i < 1000; i++) {
    const id = newTraceId()
    if (sample(id, undefined) !== sample(id, undefined)) disagreements++
  }
  t.equal(disagreements, 0)
})

t.test('agrees with OpenTelemetry JS TraceIdRatioBasedSampler on fixed ids', async (t) => {
  // Expected values were produced by @opentelemetry/sdk-trace-base 2.2.0:
  // new TraceIdRatioBasedSampler(r).shouldSample(ctx, id) and its _accumulate(id).
  const fixtures: Array<[traceId: string, accumulation: number, at25: boolean, at50: boolean]> = [
    ['4bf92f3577b34da6a3ce929d0e0e4736', 0x918ab738, false, false],
    ['00000000000000000000000000000001', 0x1, true, true],
    ['ffffffffffffffffffffffffffffffff', 0x0, true, true],
    ['0af7651916cd43dd8448eb211c80319c', 0x84f2fc79, false, false],
    ['80000000000000000000000000000000', 0x80000000, false, false],
    ['3fffffff000000000000000000000000', 0x3fffffff, false, true], // the 0.25 bound is exclusive
    ['40000000000000000000000000000000', 0x40000000, false, true],
    ['00000000000000003fffffff00000000', 0x3fffffff, false, true],
    ['123456789abcdef0fedcba9876543210', 0x0, true, true],
  ]
  const quarter = createSampler('traceidratio', 0.25)
  const half = createSampler('parentbased_traceidratio', 0.5)
  for (const [id, accumulation, at25, at50] of fixtures) {
    t.equal(traceIdRatioAccumulation(id), accumulation, `${id} accumulation`)
    t.equal(quarter(id, undefined), at25, `${id} at 0.25`)
    t.equal(half(id, undefined), at50, `${id} at 0.5 (root of parentbased)`)
  }
})

t.test('parent-based samplers obey an explicit parent decision', async (t) => {
  for (const name of ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const) {
    const sample = createSampler(name, 0)
    t.equal(sample(newTraceId(), SAMPLED), true, `${name}: sampled parent`)
    t.equal(sample(newTraceId(), NOT_SAMPLED), false, `${name}: unsampled parent`)
  }
})

t.test('parent-based samplers use their root sampler without a parent or a decision', async (t) => {
  t.equal(createSampler('parentbased_always_on', 1)(newTraceId(), undefined), true)
  t.equal(createSampler('parentbased_always_off', 1)(newTraceId(), undefined), false)
  t.equal(createSampler('parentbased_always_on', 1)(newTraceId(), DEFERRED), true, 'deferred B3')
  t.equal(createSampler('parentbased_always_off', 1)(newTraceId(), DEFERRED), false, 'deferred B3')
  const ratio = createSampler('parentbased_traceidratio', 0.25)
  const fraction = sampledFraction((id) => ratio(id, undefined), 40_000)
  t.ok(Math.abs(fraction - 0.25) < 0.02, `roots sampled ${fraction}`)
})

t.test('an extract result feeds a parent-based sampler, deny-only b3 included', async (t) => {
  const sample = createSampler('parentbased_always_on', 1)
  const decide = (headers: Record<string, string>) =>
    sample(
      newTraceId(),
      extractContext((name) => headers[name], ['tracecontext', 'b3']),
    )
  t.equal(decide({ b3: '0' }), false, 'b3: 0 denies a new trace')
  t.equal(decide({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' }), false)
  t.equal(decide({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }), true)
  t.equal(decide({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1' }), true, 'deferred: root sampler')
  t.equal(decide({}), true, 'no headers: root sampler')
})
