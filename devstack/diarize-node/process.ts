import { fileURLToPath } from 'node:url';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from '../node-process.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

/** A reference diarization node as its own process, on free ports, ready to serve. */
export function startDiarizeNodeProcess(opts: NodeProcessOptions): Promise<NodeProcess> {
  return startNodeProcess(entry, opts);
}
