/**
 * Reads and validates an alert rules file (YAML; example in
 * config/alerts.yaml). The shape is checked with a JSON Schema (ajv), then
 * values that need parsing (durations, percentages, rates) and cross-rule
 * facts (unique names). Every problem is reported in one Error whose lines
 * name the file, the rule (by name and index) and the key.
 */
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import type { ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'
import type { AlertKind, AlertRule } from './alert-rule.js'
import { ALERT_KINDS, parseDurationMs } from './alert-rule.js'
import { durationMs } from '../../units/duration.js'

export interface AlertRulesFile {
  /** How often rules are evaluated; undefined when the file does not say. */
  evaluationIntervalMs?: number
  rules: AlertRule[]
}

export class AlertRulesError extends Error {}

// A duration string is read by the product's one grammar (src/units/duration.ts), as an ajv format.
const durationSchema = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', format: 'duration' },
  ],
}
const stringMap = { type: 'object', additionalProperties: { type: 'string' } }

const RULE_KEYS = [
  'name',
  'kind',
  'service',
  'operation',
  'spanKind',
  'quantile',
  'threshold',
  'window',
  'for',
  'minRequests',
  'labels',
  'annotations',
] as const

const fileSchema = {
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: {
    evaluationInterval: durationSchema,
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'kind', 'service', 'threshold'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.:-]*$' },
          kind: { enum: ALERT_KINDS },
          service: { type: 'string', minLength: 1 },
          operation: { type: 'string', minLength: 1 },
          spanKind: { enum: ['SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER', 'UNSPECIFIED'] },
          quantile: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
          threshold: { type: ['number', 'string'] },
          window: durationSchema,
          for: durationSchema,
          minRequests: { type: 'integer', minimum: 0 },
          labels: stringMap,
          annotations: stringMap,
        },
      },
    },
  },
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
ajv.addFormat('duration', { type: 'string', validate: (text: string) => durationMs(text) !== undefined })
const validateFile = ajv.compile(fileSchema)

function describe(err: ErrorObject): string {
  switch (err.keyword) {
    case 'required':
      return `is missing "${(err.params as { missingProperty: string }).missingProperty}"`
    case 'additionalProperties': {
      const key = (err.params as { additionalProperty: string }).additionalProperty
      return `has an unknown key "${key}" (allowed: ${err.instancePath.startsWith('/rules/') ? RULE_KEYS.join(', ') : 'evaluationInterval, rules'})`
    }
    case 'enum':
      return `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
    case 'pattern':
      return err.instancePath.endsWith('/name')
        ? 'must start with a letter or _ and use only letters, digits, _ . : -'
        : `must match ${(err.params as { pattern: string }).pattern}`
    case 'anyOf':
      return 'must be a duration such as 500ms, 30s, 5m, 1h (or a number of milliseconds)'
    default:
      return err.message ?? 'is invalid'
  }
}

/** Where an ajv error points, in the user's words: `rule "x" (rules[2]) key "for"`. */
function locate(err: ErrorObject, data: { rules?: unknown }): string {
  const parts = err.instancePath.split('/').slice(1)
  if (parts[0] !== 'rules' || parts.length < 2) return parts.length === 0 ? 'the file' : `key "${parts.join('.')}"`
  const index = Number(parts[1])
  const rule = Array.isArray(data.rules) ? (data.rules[index] as { name?: unknown } | undefined) : undefined
  const name = typeof rule?.name === 'string' ? `rule "${rule.name}" (rules[${index}])` : `rules[${index}]`
  return parts.length > 2 ? `${name} key "${parts.slice(2).join('.')}"` : name
}

function thresholdOf(kind: AlertKind, raw: unknown): number | string {
  if (kind === 'duration_quantile') {
    const ms = parseDurationMs(raw)
    return ms === undefined || ms <= 0 ? 'must be a duration above zero such as 500ms or 1.5s (a bare number is milliseconds)' : ms
  }
  if (kind === 'error_rate') {
    let v: number
    if (typeof raw === 'string' && /^\d+(\.\d+)?%$/.test(raw.trim())) v = Number(raw.trim().slice(0, -1)) / 100
    else if (typeof raw === 'number') v = raw
    else return 'must be a fraction between 0 and 1 (0.05) or a percentage ("5%")'
    return v >= 0 && v < 1 ? v : 'must be a fraction between 0 and 1 (0.05) or a percentage ("5%")'
  }
  let perSecond: number
  const m = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)$/.exec(raw.trim()) : null
  if (typeof raw === 'number') perSecond = raw
  else if (m !== null) perSecond = Number(m[1]) / (m[2] === 's' ? 1 : m[2] === 'm' ? 60 : 3600)
  else return 'must be requests per second (2) or a rate such as "120/m"'
  return perSecond > 0 ? perSecond : 'must be a rate above zero'
}

/** Validates parsed YAML; `source` names the file in messages. Throws AlertRulesError listing every problem. */
export function parseAlertRules(data: unknown, source: string): AlertRulesFile {
  const problems: string[] = []
  if (data === null || data === undefined) data = {}
  if (!validateFile(data)) {
    for (const err of validateFile.errors ?? []) {
      // anyOf reports its branches too; the anyOf line says it better.
      if (err.schemaPath.includes('/anyOf/')) continue
      problems.push(`${locate(err, data as { rules?: unknown })} ${describe(err)}`)
    }
    throw new AlertRulesError(`alert rules ${source}:\n  ${[...new Set(problems)].join('\n  ')}`)
  }
  const file = data as { evaluationInterval?: unknown; rules: Record<string, unknown>[] }
  const rules: AlertRule[] = []
  const seen = new Map<string, number>()
  file.rules.forEach((raw, i) => {
    const name = raw.name as string
    const where = `rule "${name}" (rules[${i}])`
    if (seen.has(name)) problems.push(`${where} has the same name as rules[${seen.get(name)}]; names must be unique`)
    seen.set(name, i)
    const kind = raw.kind as AlertKind
    const threshold = thresholdOf(kind, raw.threshold)
    if (typeof threshold === 'string') problems.push(`${where} key "threshold" ${threshold} for kind ${kind}`)
    if (raw.quantile !== undefined && kind !== 'duration_quantile') problems.push(`${where} key "quantile" only applies to kind duration_quantile`)
    const windowMs = parseDurationMs(raw.window ?? '5m')!
    if (windowMs < 1000) problems.push(`${where} key "window" must be at least 1s`)
    rules.push({
      name,
      kind,
      service: raw.service as string,
      operation: raw.operation as string | undefined,
      spanKind: raw.spanKind as string | undefined,
      quantile: (raw.quantile as number | undefined) ?? 0.99,
      threshold: typeof threshold === 'number' ? threshold : NaN,
      windowMs,
      forMs: parseDurationMs(raw.for ?? 0)!,
      minRequests: (raw.minRequests as number | undefined) ?? 1,
      labels: (raw.labels as Record<string, string> | undefined) ?? {},
      annotations: (raw.annotations as Record<string, string> | undefined) ?? {},
    })
  })
  const evaluationIntervalMs = file.evaluationInterval === undefined ? undefined : parseDurationMs(file.evaluationInterval)
  if (evaluationIntervalMs !== undefined && evaluationIntervalMs < 100) problems.push('key "evaluationInterval" must be at least 100ms')
  if (problems.length > 0) throw new AlertRulesError(`alert rules ${source}:\n  ${problems.join('\n  ')}`)
  return { evaluationIntervalMs, rules }
}

export function parseAlertRulesYaml(text: string, source: string): AlertRulesFile {
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (err) {
    throw new AlertRulesError(`alert rules ${source}: not valid YAML: ${(err as Error).message}`)
  }
  return parseAlertRules(data, source)
}

export function loadAlertRulesFile(path: string): AlertRulesFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AlertRulesError(`alert rules ${path}: cannot read the file: ${(err as Error).message}`)
  }
  return parseAlertRulesYaml(text, path)
}
