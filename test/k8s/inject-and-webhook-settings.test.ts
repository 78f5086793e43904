/**
 * `tracecar inject`, `uninject` and `webhook` read their settings through the config
 * machinery: the flags users had, and TRACECAR_INJECT_* / TRACECAR_WEBHOOK_* variables
 * (the webhook runs as a Deployment), with one-line errors naming the key and its source.
 */
import t from 'tap'
import { ConfigError } from '../../src/config/config-error.js'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { INJECT_SCHEMA, UNINJECT_SCHEMA, WEBHOOK_SCHEMA, injectOptionsFrom } from '../../src/k8s/inject-flags.js'
import { DEFAULT_INJECT_OPTIONS } from '../../src/k8s/inject-options.js'

t.test('no flags: the defaults every pod got before', async (t) => {
  t.strictSame(injectOptionsFrom(resolveConfig(INJECT_SCHEMA, { argv: [], env: {} })), DEFAULT_INJECT_OPTIONS)
})

t.test('the inject flags, -f and -q keep their meaning', async (t) => {
  const values = resolveConfig(INJECT_SCHEMA, {
    argv: [
      '-f',
      'a.yaml',
      '--filename',
      'dir',
      '-q',
      '--image',
      'reg/tracecar:1',
      '--collector-endpoint',
      'http://c:4318',
      '--capture',
      'iptables',
      '--legacy-sidecar',
      '--outbound',
      '--sampling',
      '0.25',
      '--moved-app-port',
      '18080',
      '--app-port-env',
      'HTTP_PORT',
      '--proxy-uid',
      '2000',
      '--proxy-cpu-request',
      '100m',
      '--proxy-memory-request',
      '128Mi',
      '--proxy-memory-limit',
      '1Gi',
    ],
    env: {},
  })
  t.strictSame(values.get('filenames')!.value, ['a.yaml', 'dir'])
  t.equal(values.get('quiet')!.value, true)
  t.match(injectOptionsFrom(values), {
    image: 'reg/tracecar:1',
    collectorEndpoint: 'http://c:4318',
    capture: 'iptables',
    legacySidecar: true,
    outbound: true,
    movedAppPort: 18080,
    appPortEnv: 'HTTP_PORT',
    proxyUid: 2000,
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '1Gi' },
    sampling: 0.25,
  })
  t.strictSame(resolveConfig(UNINJECT_SCHEMA, { argv: ['-f', '-'], env: {} }).get('filenames')!.value, ['-'])
})

t.test('the webhook Deployment can set everything with TRACECAR_WEBHOOK_* variables; a flag still wins', async (t) => {
  const env = {
    TRACECAR_WEBHOOK_PORT: '9443',
    TRACECAR_WEBHOOK_IMAGE: 'reg/tracecar:2',
    TRACECAR_WEBHOOK_TLS_CERT_FILE: '/tls/c.pem',
    TRACECAR_WEBHOOK_OUTBOUND: 'true',
  }
  const values = resolveConfig(WEBHOOK_SCHEMA, { argv: ['--port', '0'], env })
  t.equal(values.get('port')!.value, 0)
  t.equal(values.get('tls.certFile')!.value, '/tls/c.pem')
  t.equal(values.get('tls.keyFile')!.value, '/etc/tracecar/tls/tls.key')
  t.match(injectOptionsFrom(values), { image: 'reg/tracecar:2', outbound: true })
})

t.test('bad values: one line naming the key, where it came from and what is allowed', async (t) => {
  const cases: Array<[Parameters<typeof resolveConfig>[0], string[], Record<string, string>, RegExp]> = [
    [
      INJECT_SCHEMA,
      ['--capture', 'ebpf'],
      {},
      /^tracecar: bad config: capture = "ebpf" \(from flag --capture\): expected one of move-app-port, service-target-port, iptables$/,
    ],
    [INJECT_SCHEMA, ['--proxy-memory-limit', 'lots'], {}, /proxy\.memoryLimit = "lots" \(from flag --proxy-memory-limit\): expected a Kubernetes quantity/],
    [INJECT_SCHEMA, ['--moved-app-port', '15001'], {}, /movedAppPort = 15001 \(from flag --moved-app-port\): the sidecar uses 15000, 15001 and 15006 itself/],
    [INJECT_SCHEMA, ['--app-port-env', '1PORT'], {}, /appPortEnv = "1PORT" \(from flag --app-port-env\): expected an environment variable name/],
    [WEBHOOK_SCHEMA, [], { TRACECAR_WEBHOOK_PORT: '99999' }, /port = "99999" \(from env TRACECAR_WEBHOOK_PORT\): expected an integer port number/],
    [WEBHOOK_SCHEMA, ['--sampling', '2'], {}, /sampling = "2" \(from flag --sampling\): expected a number from 0 to 1/],
    [UNINJECT_SCHEMA, ['--image', 'x'], {}, /unknown flag --image \(run tracecar uninject --help for the list\)/],
  ]
  for (const [schema, argv, env, pattern] of cases) {
    let message = ''
    try {
      injectOptionsFrom(resolveConfig(schema, { argv, env }))
    } catch (error) {
      t.type(error, ConfigError)
      message = (error as Error).message
    }
    t.match(message, pattern, `${schema.command} ${argv.join(' ')}`)
  }
})
