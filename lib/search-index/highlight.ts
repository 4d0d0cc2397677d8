import { HIGHLIGHT_CLOSE, HIGHLIGHT_OPEN, SNIPPET_CHARS } from './search-index.js';

// Snippets with the matched words marked. Neither backend returns highlights
// for every mode, so both cut them here from the stored text. A word matches
// when it folds to the same token as a word of the query, the way the keyword
// index tokenizes: words as ICU's word segmentation finds them (dictionary
// based for Chinese, Japanese and Thai, which have no spaces between words),
// lower-cased, accents stripped. lance-table.ts builds its full-text index with
// ICU's tokenizer to match; Intl.Segmenter is ICU's word breaker in V8.

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/** The text's words (no spaces or punctuation), each with where it starts. */
function* words(text: string): Generator<{ word: string; index: number }> {
  for (const s of segmenter.segment(text)) if (s.isWordLike) yield { word: s.segment, index: s.index };
}
/** Words longer than this are not indexed, so they never match. */
export const MAX_TOKEN_CHARS = 40;
/** How much text a snippet shows before its first match. */
const LEAD_CHARS = 60;

export const foldWord = (word: string): string => word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** The text's words as the keyword index sees them, in order, repeats kept. */
export function indexedWords(text: string): string[] {
  return [...words(text)].flatMap(({ word }) => (word.length <= MAX_TOKEN_CHARS ? [foldWord(word)] : []));
}

export const queryTokens = (text: string): Set<string> => new Set(indexedWords(text));

/** Moves an index off the low half of a surrogate pair, so no cut splits a character. */
function onCharBoundary(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code >= 0xdc00 && code <= 0xdfff ? i - 1 : i;
}

export function snippet(body: string, queryText: string): string {
  // The text's own guillemets would read as markers: shown as single ones instead.
  const text = body.replace(/\s+/g, ' ').trim().replaceAll(HIGHLIGHT_OPEN, '‹').replaceAll(HIGHLIGHT_CLOSE, '›');
  const tokens = queryTokens(queryText);
  const matches = [...words(text)].filter((m) => tokens.has(foldWord(m.word)));
  const first = matches[0]?.index ?? 0;
  // Begin a little before the first match, at the start of a word when one is near.
  let start = 0;
  if (first > LEAD_CHARS) {
    const space = text.lastIndexOf(' ', first - LEAD_CHARS);
    start = space >= 0 && first - space <= 2 * LEAD_CHARS ? space + 1 : onCharBoundary(text, first - LEAD_CHARS);
  }
  const end = onCharBoundary(text, Math.min(text.length, start + SNIPPET_CHARS));

  let out = start > 0 ? '…' : '';
  let at = start;
  for (const m of matches) {
    const from = m.index;
    const to = from + m.word.length;
    if (from < start || to > end) continue;
    out += text.slice(at, from) + HIGHLIGHT_OPEN + m.word + HIGHLIGHT_CLOSE;
    at = to;
  }
  return out + text.slice(at, end) + (end < text.length ? '…' : '');
}
