import t from 'tap'
import { LoadOptionError, parseLoadOptions } from '../../src/load/load-options.js'
import { runLoadCli } from './load-cli.js'

const URL_ = 'http://127.0.0.1:15006/checkout'

t.test('bad values are one clear line naming the flag, the value and what is allowed', async (t) => {
  // Values one key can judge: the config machinery's one-line error.
  const badValues: Array<[string[], RegExp]> = [
    [[URL_, '-c', '0'], /^tracecar: bad config: connections = "0" \(from flag --connections\): expected an integer number of connections >= 1$/],
    [[URL_, '-c', 'ten'], /connections = "ten" \(from flag --connections\): expected an integer number of connections/],
    [[URL_, '-d', '-5'], /flag -d needs a value, but the next argument looks like a flag/],
    [[URL_, '-d', '10x'], /duration = "10x" \(from flag --duration\): expected a duration above zero: .*, or a bare number of seconds$/],
    [[URL_, '-d', '0'], /duration = "0" \(from flag --duration\): expected a duration above zero/],
    [[URL_, '-a', '1.5'], /amount = "1.5" \(from flag --amount\): expected an integer number of requests/],
    [[URL_, '-R', '0'], /rate = "0" \(from flag --rate\): expected a number above 0/],
    [[URL_, '-m', 'FETCH'], /method = "FETCH" \(from flag --method\): expected one of GET, HEAD, POST/],
    [[URL_, '--slowest', '0'], /slowest = "0" \(from flag --slowest\): expected an integer number of requests from 1 to 1000/],
    [[URL_, '--collector', 'localhost:16686'], /collector = "localhost:16686" \(from flag --collector\): expected an http: or https: URL/],
    [[URL_, '--frobnicate'], /unknown flag --frobnicate \(run tracecar load --help for the list\)/],
    [[URL_, '-c'], /flag -c needs a value/],
    [[URL_, '--help=yes'], /help = "yes" \(from flag --help\): expected true or false/],
  ]
  for (const [argv, message] of badValues) {
    t.throws(() => parseLoadOptions(argv), { name: 'ConfigError', message }, argv.join(' '))
  }
  // What no single value says: the target, the headers the run writes itself, a body file, one flag against another.
  const cases: Array<[string[], RegExp]> = [
    [[], /a target URL is required/],
    [[URL_, 'http://other'], /one target URL expected, got 2/],
    [['ftp://x/'], /expected an http:\/\/ or https:\/\/ URL/],
    [['not a url'], /not a URL/],
    [[URL_, '-a', '3', '-c', '10'], /-a 3 is fewer requests than -c 10 connections/],
    [[URL_, '-p', '2', '-R', '100'], /--rate cannot be combined with --pipelining above 1/],
    [[URL_, '-H', 'no-separator'], /-H "no-separator": expected "Name: value" or Name=value/],
    [[URL_, '-H', 'bad name: x'], /"bad name" is not a valid header name/],
    [[URL_, '-H', 'traceparent: 00-abc'], /tracecar load sets traceparent itself/],
    [[URL_, '-H', 'tracestate: tracecar=mine'], /not a valid W3C tracestate list without a 'tracecar' member/],
    [[URL_, '-H', 'tracestate: Bad Key=1'], /not a valid W3C tracestate/],
    [[URL_, '-b', '@/nonexistent/order.json'], /-b @\/nonexistent\/order.json: cannot read "\/nonexistent\/order.json" \(ENOENT\)/],
  ]
  for (const [argv, message] of cases) {
    t.throws(() => parseLoadOptions(argv), { name: 'LoadOptionError', message }, argv.join(' '))
  }
  t.ok(new LoadOptionError('x').message.startsWith('tracecar load: '))
})

t.test('TRACECAR_LOAD_* variables set the same options; a flag wins', async (t) => {
  const o = parseLoadOptions([URL_, '-c', '3'], undefined, {
    TRACECAR_LOAD_CONNECTIONS: '8',
    TRACECAR_LOAD_DURATION: '1m',
    TRACECAR_LOAD_COLLECTOR: 'http://c:16686',
    TRACECAR_LOAD_HEADERS: 'x-a: 1\nx-b=2',
  })
  t.equal(o.connections, 3)
  t.equal(o.durationSec, 60)
  t.equal(o.collectorUrl, 'http://c:16686')
  t.same(o.headers, [
    ['x-a', '1'],
    ['x-b', '2'],
  ])
})

t.test('good values', async (t) => {
  const o = parseLoadOptions(
    [
      URL_,
      '-c',
      '4',
      '-d',
      '2m',
      '-R',
      '250',
      '-m',
      'post',
      '-H',
      'Authorization: Bearer a=b',
      '-H',
      'x-tenant=7',
      '-H',
      'tracestate: vendor=1',
      '-b',
      '@order.json',
      '--slowest',
      '3',
      '--json',
      '--collector',
      'http://c:16686/',
      '--trace-wait',
      '0',
    ],
    (path) => Buffer.from(`contents of ${path}`),
  )
  t.equal(o.connections, 4)
  t.equal(o.durationSec, 120)
  t.equal(o.rate, 250)
  t.equal(o.method, 'POST')
  t.same(
    o.headers,
    [
      ['authorization', 'Bearer a=b'],
      ['x-tenant', '7'],
    ],
    'split at the first : or =',
  )
  t.equal(o.userTracestate, 'vendor=1')
  t.equal(o.body?.toString(), 'contents of order.json')
  t.equal(o.slowest, 3)
  t.equal(o.json, '-', 'a bare --json writes to stdout')
  t.equal(o.collectorUrl, 'http://c:16686')
  t.equal(o.uiUrl, 'http://c:16686', 'the UI defaults to the collector')
  t.equal(o.traceWaitSec, 0)
  t.equal(parseLoadOptions([URL_, '--json', 'out.json']).json, 'out.json')
  t.equal(parseLoadOptions(['--json', URL_]).json, '-', 'a URL after --json is the target, not the file')
  t.equal(parseLoadOptions([URL_, '--json=r.json', '--ui', 'http://ui:8080']).uiUrl, 'http://ui:8080')
  t.equal(parseLoadOptions([URL_, '-b', 'inline']).body?.toString(), 'inline')
})

t.test('the CLI exits 2 with the message, and --help describes every option', async (t) => {
  const bad = await runLoadCli([URL_, '-c', 'many'])
  t.equal(bad.code, 2)
  t.equal(bad.stderr, 'tracecar: bad config: connections = "many" (from flag --connections): expected an integer number of connections >= 1\n')
  const help = await runLoadCli(['--help'])
  t.equal(help.code, 0)
  for (const flag of ['-c,', '-d,', '-a,', '-R,', '-p,', '-m,', '-H,', '-b,', '--slowest', '--json', '--collector', '--ui', '--trace-wait']) {
    t.match(help.stdout, flag)
  }
})
