// The sizes of the columns that hold what clients send, as prisma/schema.prisma
// declares them, so a route refuses a value with 400 before the database would
// refuse it with an error the caller sees as 500. test/column-bounds.test.ts
// keeps each figure equal to the schema's.

/** The largest value of a signed 32-bit INT column. */
export const INT_MAX = 2_147_483_647;

/** VARCHAR lengths, in characters, by model and field. */
export const VARCHAR = {
  TranscriptionJob: { language: 16, languageDetected: 16, audioFormat: 16, statusReason: 1024 },
  SpeakerProfile: { displayName: 255 },
  SpeakerConsent: { textVersion: 64 },
  ApiKey: { name: 255 },
} as const;

/** Fits a VARCHAR column: MariaDB counts characters, JavaScript counts UTF-16 units, so this errs on the safe side. */
export const fitsVarchar = (value: string, length: number): boolean => value.length <= length;
