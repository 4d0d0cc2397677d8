import { fileURLToPath } from 'node:url';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from '../node-process.js';
import type { DiarizeEngineKind } from './speaker-embedder.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

/** A reference diarization node as its own process, on free ports, ready to serve. */
export function startDiarizeNodeProcess(opts: NodeProcessOptions & { engine?: DiarizeEngineKind }): Promise<NodeProcess> {
  return startNodeProcess(entry, opts, opts.engine ? { SCAIINFER_DIARIZE_ENGINE: opts.engine } : {});
}
