import { parseArgs } from 'node:util'
import { FlagError, INJECT_FLAG_SPEC, INJECT_FLAGS_HELP, injectOptionsFromFlags, type InjectFlagValues } from '../k8s/inject-flags.js'
import { DEFAULT_IMAGE, DEFAULT_IMAGE_HOW_TO, InjectError } from '../k8s/inject-options.js'
import { joinStreams, readManifestSources } from '../k8s/manifest-input.js'
import { injectManifests, uninjectManifests, type ManifestResult } from '../k8s/manifest-stream.js'

const INJECT_HELP = `usage: tracecar inject [-f <file|dir|->]... [options]

Adds the tracecar sidecar to the Deployments, StatefulSets, DaemonSets, ReplicaSets,
Jobs, CronJobs and Pods of Kubernetes manifests and writes them to stdout; everything
else passes through unchanged. Reads stdin when no -f is given. Injecting twice changes
nothing; 'tracecar uninject' takes the sidecar out again.

  tracecar inject -f deploy.yaml | kubectl apply -f -

  -f, --filename <path>           a manifest file, a directory of them, or - for stdin (repeatable)
  -q, --quiet                     no summary on stderr

${INJECT_FLAGS_HELP}
docs/kubernetes.md explains the capture modes and everything that is added.
`

const UNINJECT_HELP = `usage: tracecar uninject [-f <file|dir|->]...

Removes what 'tracecar inject' added (sidecar, init container, moved port variable,
Service targetPorts) and writes the manifests to stdout.

  -f, --filename <path>           a manifest file, a directory of them, or - for stdin (repeatable)
  -q, --quiet                     no summary on stderr
`

/** `tracecar inject`: manifests in, injected manifests out (stdout); a summary on stderr. */
export async function runInjectCommand(argv: string[]): Promise<void> {
  await run(argv, 'inject')
}

/** `tracecar uninject`: the reverse of inject. */
export async function runUninjectCommand(argv: string[]): Promise<void> {
  await run(argv, 'uninject')
}

async function run(argv: string[], command: 'inject' | 'uninject'): Promise<void> {
  const fail = (message: string): void => {
    process.stderr.write(`tracecar ${command}: ${message}\n`)
    process.exitCode = 2
  }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        ...(command === 'inject' ? INJECT_FLAG_SPEC : {}),
      },
      allowPositionals: false,
      strict: true,
    })
  } catch (error) {
    fail(`${(error as Error).message} ('tracecar ${command} --help' lists the options)`)
    return
  }
  const values = parsed.values
  if (values.help) {
    process.stdout.write(command === 'inject' ? INJECT_HELP : UNINJECT_HELP)
    return
  }
  try {
    const options = command === 'inject' ? injectOptionsFromFlags(values as InjectFlagValues) : undefined
    const sources = await readManifestSources(values.filename ?? [], process.stdin)
    const results: ManifestResult[] = sources.map((s) => (options ? injectManifests(s.text, s.name, options) : uninjectManifests(s.text, s.name)))
    // Nothing is written unless every input worked: half a stream piped to kubectl apply is worse than none.
    process.stdout.write(joinStreams(results.map((r) => r.text)))
    if (!values.quiet) {
      const notes = results.flatMap((r) => r.notes)
      for (const note of notes) process.stderr.write(`${note}\n`)
      // The default image is one the user builds: a pod pulling it from Docker Hub would never start.
      if (options?.image === DEFAULT_IMAGE && notes.some((n) => n.includes(': injected ('))) {
        process.stderr.write(`sidecar image ${DEFAULT_IMAGE} (the default): ${DEFAULT_IMAGE_HOW_TO}\n`)
      }
    }
  } catch (error) {
    if (error instanceof FlagError || error instanceof InjectError || (error instanceof Error && error.message.startsWith('cannot read'))) {
      fail(error.message)
      return
    }
    throw error
  }
}
