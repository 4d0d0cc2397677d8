import { parseArgs } from 'node:util';

export type WholeNumberOptions = Record<string, { default: number; help: string }>;

/**
 * A benchmark's command line: every option a whole number of at least 1, with
 * its default and help; --help prints them and exits 0, a bad value exits 2.
 */
export function wholeNumberOptions<O extends WholeNumberOptions>(script: string, options: O): Record<keyof O, number> {
  const { values: flags } = parseArgs({
    options: { ...Object.fromEntries(Object.keys(options).map((k) => [k, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (flags.help) {
    const width = Math.max(...Object.keys(options).map((k) => k.length)) + 2;
    console.log(
      [`usage: node --import tsx ${script} [options]`, ...Object.entries(options).map(([k, o]) => `  --${k.padEnd(width)} ${o.help} (default ${o.default})`)].join('\n'),
    );
    process.exit(0);
  }
  return Object.fromEntries(
    Object.entries(options).map(([k, o]) => {
      const raw = (flags as Record<string, string | undefined>)[k];
      const n = raw === undefined ? o.default : Number(raw);
      if (!Number.isInteger(n) || n < 1) {
        console.error(`--${k} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
        process.exit(2);
      }
      return [k, n];
    }),
  ) as Record<keyof O, number>;
}
