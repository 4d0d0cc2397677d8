import type { NatsConnection } from 'nats';
import type { Config } from '../config.js';
import { connectNats } from './nats.js';
import type { Logger } from './logger.js';

/**
 * A NATS connection made in the background and remade if it closes, so a process
 * starts while NATS is down and /health says so instead of the process crashing.
 */
export class NatsHandle {
  private conn: NatsConnection | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly name: string,
    private readonly logger: Logger,
    /** Runs after every (re)connect, e.g. to make sure the streams exist. */
    private readonly onConnect: (nc: NatsConnection) => Promise<void> = async () => undefined,
  ) {
    void this.connectLoop();
  }

  private async connectLoop(): Promise<void> {
    if (this.stopped) return;
    let conn: NatsConnection | undefined;
    try {
      conn = await connectNats(this.config, this.name);
      if (this.stopped) {
        await conn.close();
        return;
      }
      await this.onConnect(conn);
      this.conn = conn;
      void conn.closed().then(() => {
        this.conn = undefined;
        this.schedule();
      });
    } catch (err) {
      await conn?.close().catch(() => undefined);
      this.logger.warn({ err: (err as Error).message }, 'NATS not ready yet');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connectLoop(), 2000);
  }

  /** The live connection, or an error naming the problem. */
  get(): NatsConnection {
    if (!this.conn || this.conn.isClosed()) throw new Error('not connected to NATS');
    return this.conn;
  }

  async ping(): Promise<void> {
    await this.get().flush();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.conn?.drain().catch(() => undefined);
  }
}
