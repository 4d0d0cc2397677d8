import type { Config } from '../../lib/config.js';
import { BackendError } from '../../lib/scaiinfer/stt/errors.js';
import { createRelayDispatcher } from '../../lib/scaiinfer/stt/relay.js';
import { createScaiInferDispatcher, type ScaiInferDispatcher } from '../../lib/scaiinfer/stt/scaiinfer.js';
import type { SttDispatcher } from '../../lib/scaiinfer/stt/types.js';
import { ENGINE_STT, type NodeRegistry } from '../../lib/scaiinfer/node-registry.js';
import type { Backend } from './policy.js';

/** Which backends can take work right now, and a dispatcher for the chosen one. */
export class SttBackends {
  /** One gRPC channel per node address, reused across calls and reconnecting by itself. */
  private readonly nodeDispatchers = new Map<string, ScaiInferDispatcher>();

  constructor(
    private readonly config: Config,
    private readonly registry: NodeRegistry,
  ) {}

  async availability(): Promise<Record<Backend, boolean>> {
    return {
      A: (await this.registry.online(ENGINE_STT)).length > 0,
      B: Boolean(this.config.env.SCAIWAVE_SCAIECHO_RELAY_URL),
    };
  }

  /** Backend A resolves an online STT node per call, so a dead node is skipped on the next attempt. */
  async dispatcher(backend: Backend): Promise<SttDispatcher> {
    const e = this.config.env;
    if (backend === 'A') {
      const node = await this.registry.resolve(ENGINE_STT);
      if (!node) throw new BackendError('transient', 'BACKEND_UNAVAILABLE', 'no self-hosted STT node is online', 'A');
      let dispatcher = this.nodeDispatchers.get(node.address);
      if (!dispatcher) {
        dispatcher = createScaiInferDispatcher({ address: node.address, deadlineMs: e.SCAIWAVE_SCAIECHO_DISPATCH_TIMEOUT_MS });
        this.nodeDispatchers.set(node.address, dispatcher);
      }
      return dispatcher;
    }
    if (!e.SCAIWAVE_SCAIECHO_RELAY_URL) {
      throw new BackendError('permanent', 'BACKEND_UNAVAILABLE', 'the STT relay is not configured', 'B');
    }
    return createRelayDispatcher({
      url: e.SCAIWAVE_SCAIECHO_RELAY_URL,
      apiKey: e.SCAIWAVE_SCAIECHO_RELAY_API_KEY ?? '',
      timeoutMs: e.SCAIWAVE_SCAIECHO_DISPATCH_TIMEOUT_MS,
    });
  }

  /** Where backend B takes live sessions: the relay, when one is configured. */
  relay(): { url: string; apiKey: string } | undefined {
    const e = this.config.env;
    return e.SCAIWAVE_SCAIECHO_RELAY_URL ? { url: e.SCAIWAVE_SCAIECHO_RELAY_URL, apiKey: e.SCAIWAVE_SCAIECHO_RELAY_API_KEY ?? '' } : undefined;
  }

  close(): void {
    for (const d of this.nodeDispatchers.values()) d.close();
    this.nodeDispatchers.clear();
  }
}
