import { ConfigError } from '../config/config-error.js'
import { isHelpRequested } from '../config/flag-source.js'
import { resolveConfig } from '../config/resolve-config.js'
import { INJECT_SCHEMA, UNINJECT_SCHEMA, injectOptionsFrom, k8sHelpText } from '../k8s/inject-flags.js'
import { DEFAULT_IMAGE, DEFAULT_IMAGE_HOW_TO, InjectError } from '../k8s/inject-options.js'
import { joinStreams, readManifestSources } from '../k8s/manifest-input.js'
import { injectManifests, uninjectManifests, type ManifestResult } from '../k8s/manifest-stream.js'

const injectHelp = (): string =>
  k8sHelpText(
    INJECT_SCHEMA,
    [
      'Usage: tracecar inject [-f <file|dir|->]... [flags]',
      '',
      'Adds the tracecar sidecar to the Deployments, StatefulSets, DaemonSets, ReplicaSets,',
      'Jobs, CronJobs and Pods of Kubernetes manifests and writes them to stdout; everything',
      'else passes through unchanged. Reads stdin when no -f is given. Injecting twice changes',
      "nothing; 'tracecar uninject' takes the sidecar out again.",
      '',
      '  tracecar inject -f deploy.yaml | kubectl apply -f -',
      '',
      'The pod settings are the defaults for every pod (an annotation on the workload or pod template wins).',
    ],
    [
      'Other annotations: tracecar.io/inject (enabled|disabled), tracecar.io/service-name,',
      'tracecar.io/app-port (a port number or name).',
      'docs/kubernetes.md explains the capture modes and everything that is added.',
      '',
    ],
  )

const uninjectHelp = (): string =>
  k8sHelpText(
    UNINJECT_SCHEMA,
    [
      'Usage: tracecar uninject [-f <file|dir|->]...',
      '',
      "Removes what 'tracecar inject' added (sidecar, init container, moved port variable,",
      'Service targetPorts) and writes the manifests to stdout.',
    ],
    [''],
  )

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
  if (isHelpRequested(argv)) {
    process.stdout.write(command === 'inject' ? injectHelp() : uninjectHelp())
    return
  }
  try {
    const values = resolveConfig(command === 'inject' ? INJECT_SCHEMA : UNINJECT_SCHEMA, { argv, env: process.env })
    const options = command === 'inject' ? injectOptionsFrom(values) : undefined
    const quiet = values.get('quiet')!.value as boolean
    const sources = await readManifestSources(values.get('filenames')!.value as string[], process.stdin)
    const results: ManifestResult[] = sources.map((s) => (options ? injectManifests(s.text, s.name, options) : uninjectManifests(s.text, s.name)))
    // Nothing is written unless every input worked: half a stream piped to kubectl apply is worse than none.
    process.stdout.write(joinStreams(results.map((r) => r.text)))
    if (!quiet) {
      const notes = results.flatMap((r) => r.notes)
      for (const note of notes) process.stderr.write(`${note}\n`)
      // The default image is one the user builds: a pod pulling it from Docker Hub would never start.
      if (options?.image === DEFAULT_IMAGE && notes.some((n) => n.includes(': injected ('))) {
        process.stderr.write(`sidecar image ${DEFAULT_IMAGE} (the default): ${DEFAULT_IMAGE_HOW_TO}\n`)
      }
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exitCode = 2
      return
    }
    if (error instanceof InjectError || (error instanceof Error && error.message.startsWith('cannot read'))) {
      fail(error.message)
      return
    }
    throw error
  }
}
