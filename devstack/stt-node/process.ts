import { fileURLToPath } from 'node:url';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from '../node-process.js';
import type { EngineKind } from '../stt/transcript.js';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface SttNodeProcessOptions extends NodeProcessOptions {
  engine: EngineKind;
  capacity?: number;
}

/** A reference ScaiInfer STT node as its own process, on free ports, ready to serve. */
export function startSttNodeProcess(opts: SttNodeProcessOptions): Promise<NodeProcess> {
  return startNodeProcess(entry, opts, {
    SCAIINFER_ENGINE: opts.engine,
    ...(opts.capacity ? { SCAIINFER_CAPACITY: String(opts.capacity) } : {}),
  });
}
