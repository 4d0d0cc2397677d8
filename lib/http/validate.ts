import { z } from 'zod';
import { AppError } from '../errors.js';

const fieldName = (path: PropertyKey[]): string => path.map(String).join('.');

/** One entry per bad field; a field the schema does not know is named itself, not by the object that holds it. */
function problems(issue: z.core.$ZodIssue): { field: string; problem: string }[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ field: fieldName([...issue.path, k]), problem: 'not a known field' }));
  return [{ field: fieldName(issue.path) || '(body)', problem: issue.message }];
}

/** Parses input against a schema; the 400 names each bad field so a client can fix its request. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.flatMap(problems);
  throw new AppError(
    'VALIDATION_ERROR',
    fields.map((f) => `${f.field}: ${f.problem}`).join('; '),
    { fields },
  );
}

/**
 * Path parameters decoded strictly. The router decodes a segment it cannot
 * (`%ff`, a lone surrogate's bytes) into its raw text, which a schema would
 * then read as the characters `%ff`; a segment that is not UTF-8 is refused
 * here, named. `captures` are the route's raw segments, in the order its
 * `:name`s appear in `path`.
 */
export function pathParams(path: string, captures: readonly string[]): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  [...path.matchAll(/:(\w+)/g)].forEach(([, name], i) => {
    const raw = captures[i];
    if (name === undefined || raw === undefined) return;
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      throw new AppError('VALIDATION_ERROR', `${name}: must be valid UTF-8 text, percent-encoded`, {
        fields: [{ field: name, problem: 'not valid UTF-8' }],
      });
    }
  });
  return params;
}

const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A number sent as text (a form field, a query parameter), then checked by
 * `schema`. Only plain decimal notation counts: z.coerce.number() reads '' and
 * ' ' as 0, '0x1' as 1 and '1e3' as 1000, answering a request nobody sent.
 * The OpenAPI document shows the number `schema` describes, as parameters and
 * form fields are described by the value they carry, not by their text.
 */
export function decimalText<S extends z.ZodType<unknown, number>>(schema: S) {
  const { $schema: _, ...described } = z.toJSONSchema(schema, { io: 'input' });
  return z
    .string()
    .regex(DECIMAL, { message: 'must be a decimal number such as 0.5' })
    .transform(Number)
    .pipe(schema)
    .meta({
      override: ({ jsonSchema }) => {
        delete jsonSchema.type;
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, described);
      },
    });
}

/** A yes or no sent as text (a form field, a query parameter): `true`/`false` or `1`/`0`, nothing looser. */
export const boolField = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
