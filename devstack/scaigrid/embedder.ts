import fs from 'node:fs';
import path from 'node:path';
import { AutoModel, AutoTokenizer, env, mean_pooling, type Tensor } from '@huggingface/transformers';
import { devstackDir } from '../tools.js';

// The real model behind the reference ScaiGrid: all-MiniLM-L6-v2 (384
// dimensions) as an ONNX graph, run by onnxruntime-node through transformers.js
// from files on disk only (scripts/ensure-tools.sh puts them there; nothing is
// ever downloaded). Sentence embeddings as sentence-transformers makes them for
// this model: the mean of the token states under the attention mask, scaled to
// unit length, so the dot product of two vectors is their cosine.

export const DEFAULT_MODEL_DIR = path.join(devstackDir, 'models', 'all-MiniLM-L6-v2');

export interface Embedding {
  /** One L2-normalised vector per text, in the texts' order. */
  vectors: Float32Array[];
  /** Tokens the model read, special tokens included, after truncation. */
  tokens: number;
}

/** What computes the vectors: the real model, or the instant word-hash stand-in (instant-embedder.ts) for benches of the pipeline around it. */
export type EngineKind = 'minilm' | 'instant';
export const ENGINE_KINDS: readonly EngineKind[] = ['minilm', 'instant'];

/** all-MiniLM-L6-v2's vector length; the instant engine answers in it too, so either engine's vectors fit the same index. */
export const MODEL_DIMENSIONS = 384;

export interface Embedder {
  engine: EngineKind;
  dimensions: number;
  embed(texts: string[]): Promise<Embedding>;
}

/**
 * Padded tokens one model call holds at most. A call costs as if each of its
 * texts were as long as its longest, so one request's texts are sorted by
 * length and cut into calls of up to this many padded tokens: short texts go
 * many to a call, long ones few (sentence-transformers' encode sorts too, with
 * a fixed count). On this machine, 64 texts of the search bench's multilingual
 * chat (39 tokens on average) went from 20–58 texts/s as one padded call to
 * 149–170; short English ones (14 tokens) stayed at 650–700.
 */
const TOKENS_PER_CALL = 512;

/** Consecutive runs of `order` (indices sorted by ascending length) that fit TOKENS_PER_CALL once padded. */
function calls(order: number[], lengths: number[]): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && (end - start + 1) * lengths[order[end]!]! <= TOKENS_PER_CALL) end++;
    out.push(order.slice(start, end));
    start = end;
  }
  return out;
}

export async function loadEmbedder(modelDir = DEFAULT_MODEL_DIR): Promise<Embedder> {
  if (!fs.existsSync(path.join(modelDir, 'onnx', 'model.onnx'))) {
    throw new Error(`no embedding model in ${modelDir}: run scripts/ensure-tools.sh`);
  }
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(modelDir);
  const id = path.basename(modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
  // "fp32" names the file onnx/model.onnx: its activations are float, its weights int8 it dequantizes itself.
  const model = await AutoModel.from_pretrained(id, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  // The length the model was trained on (256), shorter than the tokenizer's own limit (512), as sentence-transformers truncates.
  const { max_seq_length: maxTokens } = JSON.parse(fs.readFileSync(path.join(modelDir, 'sentence_bert_config.json'), 'utf8')) as {
    max_seq_length: number;
  };

  /** One model call: the texts padded to the longest of them. */
  const embedCall = async (texts: string[]): Promise<Embedding> => {
    const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens });
    const { last_hidden_state: states } = (await model(inputs)) as { last_hidden_state: Tensor };
    const mask = inputs.attention_mask as Tensor;
    const pooled = mean_pooling(states, mask).normalize(2, -1);
    const width = pooled.dims[1]!;
    const data = pooled.data as Float32Array;
    let tokens = 0;
    for (const m of mask.data as BigInt64Array) tokens += Number(m);
    return { vectors: texts.map((_, i) => data.slice(i * width, (i + 1) * width)), tokens };
  };

  const embed = async (texts: string[]): Promise<Embedding> => {
    const lengths = texts.map((t) => Math.min(tokenizer.encode(t).length, maxTokens));
    const order = texts.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    let tokens = 0;
    for (const call of calls(order, lengths)) {
      const done = await embedCall(call.map((i) => texts[i]!));
      call.forEach((i, k) => (vectors[i] = done.vectors[k]!));
      tokens += done.tokens;
    }
    return { vectors, tokens };
  };
  const { vectors } = await embed(['warm-up']);
  return { engine: 'minilm', dimensions: vectors[0]!.length, embed };
}
