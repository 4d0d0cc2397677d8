import { z } from 'zod';

/**
 * Text as clients may send it, one rule for every field that takes words
 * (names, message bodies, search queries, file names, emoji).
 *
 * What reaches a schema has already been decoded: JSON bodies, query strings
 * and multipart parts turn bytes that are not UTF-8 into U+FFFD, the
 * replacement character, so that is refused as the trace of invalid UTF-8
 * (path segments are decoded strictly before: lib/http/validate.ts). Unpaired
 * surrogates (a JSON "\ud800") are no text in any encoding we store or
 * index. Control characters make no sense in a name or query; a message body
 * keeps tab and line breaks.
 *
 * The character rules are spelled out as a pattern, so the OpenAPI document
 * tells clients and fuzzers; well-formedness cannot be, so it is a refinement.
 */

// The C0 and C1 controls spelled out rather than \p{Cc}: fuzzers and generated clients read the pattern too.
/* eslint-disable no-control-regex -- matching control characters is the point: they are refused */
const LINE = /^[^\x00-\x1f\x7f-\x9f\ufffd]*$/;
const LINES = /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]*$/;
/* eslint-enable no-control-regex */
/** Bidirectional overrides and isolates: "invoice\u202Efdp.exe" shows as "invoiceexe.pdf". */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

const UNPAIRED = 'has an unpaired surrogate, which is not text';

function wellFormed<S extends z.ZodString>(schema: S): S {
  return schema.refine((s) => s.isWellFormed(), { message: UNPAIRED }) as S;
}

/** One line of text: a name, a title, a query. */
export const line = () => wellFormed(z.string().regex(LINE, { message: 'must be valid UTF-8 text without control characters' }));

/** Text that may run over lines: a message body. */
export const lines = () =>
  wellFormed(z.string().regex(LINES, { message: 'must be valid UTF-8 text; of the control characters only tab and line breaks' }));

/** What is wrong with a file name a client sent, or undefined; file names come from multipart headers, not from a schema. */
export function fileNameProblem(name: string): string | undefined {
  if (!name.isWellFormed()) return `the file name ${UNPAIRED}`;
  if (!LINE.test(name)) return 'the file name must be valid UTF-8 text without control characters';
  if (BIDI_CONTROLS.test(name)) return 'the file name must not carry bidirectional controls, which disguise its extension';
  return undefined;
}

/** One emoji (a ZWJ sequence, a flag or a keycap included), or a short name between colons. */
const EMOJI = /^(?:\p{RGI_Emoji}|\p{Extended_Pictographic})$/v;
const SHORTCODE = /^:[a-z0-9_+-]{1,32}:$/;
export const isEmoji = (s: string): boolean => EMOJI.test(s) || SHORTCODE.test(s);
