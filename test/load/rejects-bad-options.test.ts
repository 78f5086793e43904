import t from 'tap'
import { LoadOptionError, parseLoadOptions } from '../../src/load/load-options.js'
import { runLoadCli } from './load-cli.js'

const URL_ = 'http://127.0.0.1:15006/checkout'

t.test('bad values are one clear line naming the flag, the value and what is allowed', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /a target URL is required/],
    [[URL_, 'http://other'], /one target URL expected, got 2/],
    [['ftp://x/'], /expected an http:\/\/ or https:\/\/ URL/],
    [['not a url'], /not a URL/],
    [[URL_, '-c', '0'], /-c "0": expected a whole number from 1 up/],
    [[URL_, '-c', 'ten'], /-c "ten": expected a whole number/],
    [[URL_, '-d', '-5'], /-d "-5": expected a duration above 0/],
    [[URL_, '-d', '10x'], /-d "10x": expected a duration/],
    [[URL_, '-a', '1.5'], /-a "1.5": expected a whole number/],
    [[URL_, '-a', '3', '-c', '10'], /-a 3 is fewer requests than -c 10 connections/],
    [[URL_, '-R', '0'], /-R "0": expected a number above 0/],
    [[URL_, '-p', '2', '-R', '100'], /--rate cannot be combined with --pipelining above 1/],
    [[URL_, '-m', 'FETCH'], /-m "FETCH": expected one of GET, HEAD, POST/],
    [[URL_, '-H', 'no-separator'], /-H "no-separator": expected "Name: value" or Name=value/],
    [[URL_, '-H', 'bad name: x'], /"bad name" is not a valid header name/],
    [[URL_, '-H', 'traceparent: 00-abc'], /tracecar load sets traceparent itself/],
    [[URL_, '-H', 'tracestate: tracecar=mine'], /not a valid W3C tracestate list without a 'tracecar' member/],
    [[URL_, '-H', 'tracestate: Bad Key=1'], /not a valid W3C tracestate/],
    [[URL_, '-b', '@/nonexistent/order.json'], /-b @\/nonexistent\/order.json: cannot read "\/nonexistent\/order.json" \(ENOENT\)/],
    [[URL_, '--slowest', '0'], /--slowest "0": expected a whole number from 1 to 1000/],
    [[URL_, '--collector', 'localhost:16686'], /--collector "localhost:16686": expected an http/],
    [[URL_, '--frobnicate'], /unknown option '--frobnicate'/],
    [[URL_, '-c'], /-c needs a value/],
    [[URL_, '--help=yes'], /--help takes no value/],
  ]
  for (const [argv, message] of cases) {
    t.throws(() => parseLoadOptions(argv), { name: 'LoadOptionError', message }, argv.join(' '))
  }
  t.ok(new LoadOptionError('x').message.startsWith('tracecar load: '))
})

t.test('good values', async (t) => {
  const o = parseLoadOptions([URL_, '-c', '4', '-d', '2m', '-R', '250', '-m', 'post', '-H', 'Authorization: Bearer a=b', '-H', 'x-tenant=7',
    '-H', 'tracestate: vendor=1', '-b', '@order.json', '--slowest', '3', '--json', '--collector', 'http://c:16686/', '--trace-wait', '0'],
  (path) => Buffer.from(`contents of ${path}`))
  t.equal(o.connections, 4)
  t.equal(o.durationSec, 120)
  t.equal(o.rate, 250)
  t.equal(o.method, 'POST')
  t.same(o.headers, [['authorization', 'Bearer a=b'], ['x-tenant', '7']], 'split at the first : or =')
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
  t.equal(bad.stderr, 'tracecar load: -c "many": expected a whole number from 1 up\n')
  const help = await runLoadCli(['--help'])
  t.equal(help.code, 0)
  for (const flag of ['-c,', '-d,', '-a,', '-R,', '-p,', '-m,', '-H,', '-b,', '--slowest', '--json', '--collector', '--ui', '--trace-wait']) {
    t.match(help.stdout, flag)
  }
})
