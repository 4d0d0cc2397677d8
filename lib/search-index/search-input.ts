import { AppError } from '../errors.js';
import { MAX_PAGE_SIZE, SEARCH_MODES, type SearchDocument, type SearchQuery } from './search-index.js';

// What every backend refuses before it touches its store. Ids are narrowed to
// the characters the project's ids use (UUIDs), which is also what a Weaviate
// tenant name and a LanceDB table name may hold: no id can carry quote,
// operator or path characters into a filter or a file name, and ids compare
// byte for byte (no case folding or normalisation anywhere).

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NORM_TOLERANCE = 1e-3;

const invalid = (message: string) => new AppError('VALIDATION_ERROR', message);

export function checkId(what: string, id: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw invalid(`${what}: must be 1-64 letters, digits, - or _`);
  return id;
}

function checkVector(what: string, vector: Float32Array, dimension: number): Float32Array {
  if (!(vector instanceof Float32Array) || vector.length !== dimension) {
    throw invalid(`${what}: must be a Float32Array of ${dimension} numbers`);
  }
  let sum = 0;
  for (const x of vector) sum += x * x;
  // Scores are cosine similarities computed as dot products: only unit vectors make them so.
  if (!Number.isFinite(sum) || Math.abs(Math.sqrt(sum) - 1) > NORM_TOLERANCE) throw invalid(`${what}: must be L2-normalised`);
  return vector;
}

function checkDate(what: string, d: Date | undefined): void {
  if (d !== undefined && !(d instanceof Date && Number.isFinite(d.getTime()))) throw invalid(`${what}: must be a valid date`);
}

export function checkDocuments(docs: readonly SearchDocument[], dimension: number): void {
  for (const [i, d] of docs.entries()) {
    checkId(`docs[${i}].messageId`, d.messageId);
    checkId(`docs[${i}].tenantId`, d.tenantId);
    checkId(`docs[${i}].workspaceId`, d.workspaceId);
    checkId(`docs[${i}].roomId`, d.roomId);
    checkId(`docs[${i}].authorId`, d.authorId);
    checkDate(`docs[${i}].createdAt`, d.createdAt);
    checkDate(`docs[${i}].updatedAt`, d.updatedAt);
    if (typeof d.body !== 'string') throw invalid(`docs[${i}].body: must be a string`);
    checkVector(`docs[${i}].vector`, d.vector, dimension);
  }
}

export function checkMessageIds(tenantId: string, messageIds: readonly string[]): void {
  checkId('tenantId', tenantId);
  messageIds.forEach((id, i) => checkId(`messageIds[${i}]`, id));
}

export function checkQuery(q: SearchQuery, dimension: number): void {
  checkId('tenantId', q.tenantId);
  if (!Array.isArray(q.roomIds)) throw invalid('roomIds: required, the rooms the caller may read');
  q.roomIds.forEach((id, i) => checkId(`roomIds[${i}]`, id));
  if (q.authorId !== undefined) checkId('authorId', q.authorId);
  checkDate('before', q.before);
  checkDate('after', q.after);
  if (!SEARCH_MODES.includes(q.mode)) throw invalid(`mode: must be one of ${SEARCH_MODES.join(', ')}`);
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE_SIZE) throw invalid(`limit: must be 1-${MAX_PAGE_SIZE}`);
  if (typeof q.text !== 'string') throw invalid('text: must be a string');
  if (q.mode !== 'semantic' && q.text.trim() === '') throw invalid(`text: required in ${q.mode} mode`);
  if (q.mode !== 'keyword') {
    if (q.vector === undefined) throw invalid(`vector: required in ${q.mode} mode`);
    checkVector('vector', q.vector, dimension);
  }
}
