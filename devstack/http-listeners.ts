import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { startAdminServer, type AdminOptions } from './stt/admin.js';

// The two listeners of an HTTP reference server (the STT relay, ScaiGrid): the
// API, which the fault switch's "offline" takes away and brings back on the same
// port, and the admin port, which stays up throughout.

export interface SwitchableListener {
  url: string;
  readonly listening: boolean;
  online(): Promise<void>;
  offline(): Promise<void>;
}

/** Listens on port (0 picks a free one, kept for later comebacks) and returns once bound. */
export async function listenSwitchable(server: Server, host: string, port: number): Promise<SwitchableListener> {
  let listening = false;
  const online = async (): Promise<void> => {
    if (listening) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    listening = true;
  };
  // Closing idle keep-alive connections too: offline, a client sees refused connections, not a server that answers.
  const offline = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  await online();
  return {
    url: `http://${host}:${port}`,
    get listening() {
      return listening;
    },
    online,
    offline,
  };
}

export interface ReferenceHttpServer {
  url: string;
  adminUrl: string;
  close(): Promise<void>;
}

/** Serves app on opts.port and the admin port beside it; /stats also says whether the API port is listening. */
export async function serveWithAdmin(
  app: Koa,
  opts: Omit<AdminOptions, 'applyMode'> & { apiPort: number; onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void },
): Promise<ReferenceHttpServer> {
  const server = createServer(app.callback());
  if (opts.onUpgrade) server.on('upgrade', opts.onUpgrade);
  const listener = await listenSwitchable(server, opts.host, opts.apiPort);
  const admin = await startAdminServer({
    ...opts,
    stats: () => ({ listening: listener.listening ? 1 : 0, ...opts.stats() }),
    applyMode: (mode) => (mode === 'offline' ? listener.offline() : listener.online()),
  });
  return {
    url: listener.url,
    adminUrl: admin.url,
    async close() {
      await listener.offline();
      await admin.close();
    },
  };
}
