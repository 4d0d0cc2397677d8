import { Connection } from '@temporalio/client';
import { customSearchAttributes } from '../lib/temporal/search-attributes.js';
import { startProcess, tail, type ManagedProcess } from './process.js';
import { waitUntil } from './ports.js';
import { binary } from './tools.js';

export interface TemporalOptions {
  port: number;
  uiPort: number;
  namespace: string;
  logDir: string;
  /** Persistent SQLite file; omitted means in memory (tests). */
  dbFile?: string;
  /** The codec server the UI decodes payloads with (`scaiwave codec-server`). */
  codecEndpoint?: string;
}

export async function temporalAnswers(address: string, namespace: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await conn.close();
  }
}

export async function startTemporal(opts: TemporalOptions): Promise<ManagedProcess> {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    '--namespace', opts.namespace,
    '--log-level', 'warn',
    '--ui-disable-news-fetch',
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : []),
    ...Object.entries(customSearchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const proc = startProcess('temporal', binary('temporal'), args, { logDir: opts.logDir });
  const address = `127.0.0.1:${opts.port}`;
  try {
    await Promise.race([
      waitUntil(`Temporal at ${address}`, () => temporalAnswers(address, opts.namespace), 90_000),
      proc.exited.then((code) => {
        throw new Error(`temporal exited with ${code}:\n${tail(proc.logFile)}`);
      }),
    ]);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return proc;
}

/**
 * For a server we did not start (reused dev server, a real cluster): registers the
 * custom search attributes it lacks. Adding an existing one fails, so add only the missing.
 */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const conn = await Connection.connect({ address });
  try {
    const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = Object.keys(customSearchAttributes).filter((n) => !(n in (customAttributes ?? {})));
    if (missing.length > 0) {
      const keyword = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
      await conn.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((n) => [n, keyword])),
      });
    }
    return missing;
  } finally {
    await conn.close();
  }
}
