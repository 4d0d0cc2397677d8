import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// An HTTP listener that a fault switch takes away and brings back on the same
// port: offline, clients get refused connections, not a server that answers.

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
  // Closing idle keep-alive connections too, or a client would still reach the server through them.
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
