import t from 'tap'
import { combineHeaderValues, parseTracestate } from '../../src/trace-context/index.js'

/** A member exactly `length` characters long: `key=vvvv...`. */
function member(key: string, length: number): string {
  return `${key}=${'v'.repeat(length - key.length - 1)}`
}

t.test('valid tracestate is forwarded as it came', async (t) => {
  const header = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
  t.equal(parseTracestate(header), header)
  t.equal(parseTracestate('a=1'), 'a=1')
  t.equal(parseTracestate(''), '', 'empty header: no members')
  t.equal(parseTracestate(' , ,\t'), '', 'only empty members')
})

t.test('keys per the Level 2 grammar: a letter or digit, then up to 255 key characters', async (t) => {
  t.equal(parseTracestate('a-b_c*d/e9=1'), 'a-b_c*d/e9=1', 'all key characters')
  t.equal(parseTracestate('tenant@system=1'), 'tenant@system=1')
  t.equal(parseTracestate('0tenant@sys-1=1'), '0tenant@sys-1=1', 'may start with a digit')
  t.equal(parseTracestate('1abc=1'), '1abc=1', 'a key without @ may start with a digit too')
  t.equal(parseTracestate('foo@=1'), 'foo@=1', '@ may end a key')
  t.equal(parseTracestate('a@b@c=1'), 'a@b@c=1', '@ is an ordinary key character')
  t.equal(parseTracestate('tenant@1sys=1'), 'tenant@1sys=1', 'no rule of its own after the @')
  t.equal(parseTracestate(`ok=1,${'k'.repeat(256)}=1`), `ok=1,${'k'.repeat(256)}=1`, '256-character key')
  const long = `${'t'.repeat(200)}@${'v'.repeat(55)}`
  t.equal(long.length, 256)
  t.equal(parseTracestate(`${long}=1`), `${long}=1`, 'a 256-character key with a long part after the @')
})

t.test('invalid keys make the whole tracestate invalid', async (t) => {
  const bad = [
    'Congo=1', // upper case
    '_a=1',
    'a.b=1', // '.' not allowed
    `${'k'.repeat(257)}=1`, // too long
    `${'t'.repeat(200)}@${'v'.repeat(56)}=1`, // 257 characters with an @
    '@system=1', // starts with @
    '@=1',
    'a =1', // space before '='
    '=1', // empty key
  ]
  for (const header of bad) t.equal(parseTracestate(`ok=1,${header}`), undefined, JSON.stringify(header))
})

t.test('values per the spec grammar', async (t) => {
  t.equal(parseTracestate('a= lead space'), 'a= lead space', 'leading space is part of the value')
  t.equal(parseTracestate('a=!~"#'), 'a=!~"#', 'printable ASCII')
  t.equal(parseTracestate(`a=${'v'.repeat(256)}`)?.length, 258, '256-char value')
  const bad = ['a=', 'a=b=c', `a=${'v'.repeat(257)}`, 'a=caf\u00e9', 'a=tab\there', 'a=\u0001', 'novalue']
  for (const header of bad) t.equal(parseTracestate(header), undefined, JSON.stringify(header))
})

t.test('empty members and OWS are skipped and the list rebuilt without them', async (t) => {
  t.equal(parseTracestate('a=1,,b=2'), 'a=1,b=2')
  t.equal(parseTracestate(' a=1 ,\tb=2\t, '), 'a=1,b=2')
  t.equal(parseTracestate(',a=1'), 'a=1')
})

t.test('a repeated key keeps its first entry; the rest of the list is carried on', async (t) => {
  t.equal(parseTracestate('foo=1,foo=1'), 'foo=1')
  t.equal(parseTracestate('foo=1,foo=2'), 'foo=1')
  t.equal(parseTracestate('a=1,b=2,a=3'), 'a=1,b=2')
  t.equal(parseTracestate('t@s=1,x=9,t@s=2,t@s=3'), 't@s=1,x=9')
  t.equal(parseTracestate('ab=1,a=2,abc=3'), 'ab=1,a=2,abc=3', 'prefixes are different keys')
  t.equal(parseTracestate('a=1,a=x=y'), undefined, 'a repeated member must still be well formed')
})

t.test('at most 32 members', async (t) => {
  const members = Array.from({ length: 32 }, (_, i) => `k${i}=${i}`)
  t.equal(parseTracestate(members.join(',')), members.join(','), '32 is fine')
  t.equal(parseTracestate(`${members.join(',')},k32=32`), undefined, '33 is invalid')
  t.equal(parseTracestate(`${members.join(',')},,`), members.join(','), 'empty members do not count')
})

t.test('over 512 characters: entries longer than 128 go first, from the end', async (t) => {
  // 100 + 200 + 100 + 150 + 50 characters + 4 commas = 604 > 512.
  const a = member('a', 100)
  const long1 = member('long1', 200)
  const b = member('b', 100)
  const long2 = member('long2', 150)
  const c = member('c', 50)
  // Removing long2 (from the end) gives 453: fits, so long1 stays.
  t.equal(parseTracestate([a, long1, b, long2, c].join(',')), [a, long1, b, c].join(','))

  // 200 + 200 + 129 + 3 = 532: dropping the last long one (129) is enough.
  const x = member('x', 200)
  const y = member('y', 200)
  const z = member('z', 129)
  t.equal(parseTracestate([x, y, z].join(',')), [x, y].join(','))
})

t.test('over 512 characters with no long entries: removed from the end', async (t) => {
  const members = Array.from({ length: 6 }, (_, i) => member(`k${i}`, 100)) // 605
  t.equal(parseTracestate(members.join(',')), members.slice(0, 5).join(','), '505 after dropping the last')
  // 128 exactly is not "longer than 128".
  const edge = Array.from({ length: 4 }, (_, i) => member(`e${i}`, 128)) // 515
  t.equal(parseTracestate(edge.join(',')), edge.slice(0, 3).join(','))
})

t.test('after the long ones are gone, the end is trimmed too', async (t) => {
  const small = Array.from({ length: 5 }, (_, i) => member(`s${i}`, 120)) // 604
  const long = member('long', 200)
  const result = parseTracestate([...small, long].join(','))
  t.equal(result, small.slice(0, 4).join(','), 'long one dropped, then the last small one')
  t.ok(result!.length <= 512)
})

t.test('exactly 512 characters is kept; OWS does not count', async (t) => {
  const members = [member('a', 255), member('b', 256)] // 511 + comma = 512
  const header = members.join(',')
  t.equal(header.length, 512)
  t.equal(parseTracestate(header), header)
  t.equal(parseTracestate(members.join(' ,  ')), header, 'spaces around members do not count')
})

t.test('multiple header values are combined with commas', async (t) => {
  t.equal(combineHeaderValues(['a=1', 'b=2']), 'a=1,b=2')
  t.equal(combineHeaderValues('a=1'), 'a=1')
  t.equal(parseTracestate(combineHeaderValues(['a=1', 'a=2'])), 'a=1', 'a key repeated across lines')
  t.equal(parseTracestate(combineHeaderValues(['foo=1,b=2', 'foo=1'])), 'foo=1,b=2', 'the same entry in two lines')
})
