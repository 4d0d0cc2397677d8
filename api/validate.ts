import type { z } from 'zod';
import { AppError } from '../lib/errors.js';

/** Parses input against a schema; the 400 names each bad field so a client can fix its request. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', problem: i.message }));
  throw new AppError(
    'VALIDATION_ERROR',
    fields.map((f) => `${f.field}: ${f.problem}`).join('; '),
    { fields },
  );
}
