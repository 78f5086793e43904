// Child process entry for collector-process.ts: start, print the ports as one JSON line, close on SIGTERM.
import { startCollector } from '../../src/collector/index.js'

const collector = await startCollector({ dataDir: process.argv[2]!, otlpHttpPort: 0, otlpGrpcPort: 0, httpPort: 0, uiDir: null, log: () => {} })
process.stdout.write(JSON.stringify(collector.ports) + '\n')
process.once('SIGTERM', () => {
  void collector.close().then(() => process.exit(0))
})
