import path from 'node:path';
import type { Env } from '../config.js';
import { projectRoot } from '../infra/project-files.js';
import type { SearchIndex } from './search-index.js';
import { LanceSearchIndex } from './lance-index.js';
import { WeaviateSearchIndex } from './weaviate-index.js';

/** The one Weaviate collection holding every tenant's messages (each tenant a Weaviate tenant of it). */
const WEAVIATE_COLLECTION = 'WaveMessage';

/** The embedded index's directory (SCAIWAVE_SEARCH_DIR, from the project root when relative). */
const searchDirOf = (env: Env): string => path.resolve(projectRoot, env.SCAIWAVE_SEARCH_DIR);

/** The message index the configuration names: Weaviate when SCAIWAVE_WEAVIATE_URL is set, else the embedded one. */
export function openSearchIndex(env: Env): Promise<SearchIndex> {
  const dimension = env.SCAIWAVE_SEARCH_VECTOR_DIMENSION;
  if (env.SCAIWAVE_WEAVIATE_URL) {
    return WeaviateSearchIndex.connect({
      url: env.SCAIWAVE_WEAVIATE_URL,
      grpcPort: env.SCAIWAVE_WEAVIATE_GRPC_PORT,
      apiKey: env.SCAIWAVE_WEAVIATE_API_KEY,
      collection: WEAVIATE_COLLECTION,
      dimension,
    });
  }
  return LanceSearchIndex.open({ dir: searchDirOf(env), dimension });
}
