import type { Env } from '../config.js';
import type { Logger } from '../infra/logger.js';
import { embeddingClientFromConfig, type EmbeddingClient } from '../scaigrid/embeddings.js';
import { openSearchIndex } from './open-index.js';
import type { SearchIndex } from './search-index.js';

/** What indexing and search use in a process: the index, the embedder, and where index lag is counted. */
export interface SearchServices {
  /** opened on first use: a worker that never indexes never opens it */
  index(): Promise<SearchIndex>;
  embedder: EmbeddingClient;
  /** counts one message's index lag (seconds from its change to searchable) */
  lag(seconds: number): void;
}

/** Where no ScaiGrid is configured: nothing embeds, and indexing says why at every attempt (retried until configured). */
const noEmbedder: EmbeddingClient = {
  model: '',
  embed: () => Promise.reject(new Error('SCAIWAVE_SCAIGRID_URL is not set: no embeddings for search')),
};

/** The index (opened on first use) and the embedder of this process, as SCAIWAVE_* configures them. */
export function createSearchServices(env: Env, logger: Logger, lag: (seconds: number) => void = () => undefined): SearchServices & { close(): Promise<void> } {
  let opened: Promise<SearchIndex> | undefined;
  return {
    index: () => (opened ??= openSearchIndex(env)),
    embedder: embeddingClientFromConfig(env, logger) ?? noEmbedder,
    lag,
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
