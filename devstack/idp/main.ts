import { createIdpServer } from './server.js';

// Entry point: `npx tsx devstack/idp/main.ts`. Tests and the stack script wait for
// the "listening" line on stdout, so it is printed only once the port is bound.

function fail(message: string): never {
  process.stderr.write(`scaikey-idp: ${message}\n`);
  process.exit(78);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8090;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) fail(`SCAIKEY_IDP_PORT is ${JSON.stringify(raw)}: must be a port number (0 picks a free one)`);
  return port;
}

function parseClients(raw: string): Record<string, string> {
  const clients: Record<string, string> = {};
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) fail('SCAIKEY_IDP_CLIENTS must be a comma list of client_id:client_secret');
    clients[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  if (Object.keys(clients).length === 0) fail('SCAIKEY_IDP_CLIENTS names no client');
  return clients;
}

const env = process.env;
const idp = await createIdpServer({
  port: parsePort(env.SCAIKEY_IDP_PORT),
  host: env.SCAIKEY_IDP_HOST || '127.0.0.1',
  issuer: env.SCAIKEY_IDP_ISSUER || undefined,
  dataDir: env.SCAIKEY_IDP_DATA_DIR || undefined,
  clients: parseClients(env.SCAIKEY_IDP_CLIENTS || 'scaiwave:scaiwave-dev-secret'),
}).catch((err: unknown) => fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`));
process.stdout.write(`scaikey-idp listening on ${idp.url}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  idp.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`scaikey-idp: close failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
