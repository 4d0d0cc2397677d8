import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARCHAR } from '../lib/infra/columns.js';

// lib/infra/columns.ts repeats the schema's column sizes so routes can refuse a value
// before the database does; this keeps each figure equal to the schema's.

const schema = readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');

function varcharOf(model: string, field: string): number | undefined {
  const body = new RegExp(`^model ${model} \\{([\\s\\S]*?)^\\}`, 'm').exec(schema)?.[1] ?? '';
  const m = new RegExp(`^\\s*${field}\\s+String\\??\\s.*@db\\.VarChar\\((\\d+)\\)`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
}

describe('column bounds the routes check', () => {
  const entries = Object.entries(VARCHAR).flatMap(([model, fields]) => Object.entries(fields).map(([field, length]) => [model, field, length] as const));
  it.each(entries)('%s.%s is VARCHAR(%i) in prisma/schema.prisma', (model, field, length) => {
    expect(varcharOf(model, field)).toBe(length);
  });
});
