import { parseArgs } from 'node:util';

interface NumberOption {
  default: number;
  help: string;
}
interface ChoiceOption<C extends string> {
  default: C;
  choices: readonly C[];
  help: string;
}
export type BenchOptionSpecs = Record<string, NumberOption | ChoiceOption<string>>;
/** Each option's value: a number, or one of its choices. */
export type BenchOptionValues<O extends BenchOptionSpecs> = { [K in keyof O]: O[K] extends { choices: readonly (infer C)[] } ? C : number };

/**
 * A benchmark's command line: every option a whole number of at least 1, or
 * one of its `choices`, with its default and help; --help prints them and
 * exits 0, a bad value exits 2.
 */
export function benchOptions<O extends BenchOptionSpecs>(script: string, options: O): BenchOptionValues<O> {
  const { values: flags } = parseArgs({
    options: { ...Object.fromEntries(Object.keys(options).map((k) => [k, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (flags.help) {
    const width = Math.max(...Object.keys(options).map((k) => k.length)) + 2;
    const choices = (o: NumberOption | ChoiceOption<string>): string => ('choices' in o ? `: ${o.choices.join(' | ')}` : '');
    console.log(
      [`usage: node --import tsx ${script} [options]`, ...Object.entries(options).map(([k, o]) => `  --${k.padEnd(width)} ${o.help}${choices(o)} (default ${o.default})`)].join('\n'),
    );
    process.exit(0);
  }
  return Object.fromEntries(
    Object.entries(options).map(([k, o]) => {
      const raw = (flags as Record<string, string | undefined>)[k];
      if ('choices' in o) {
        const value = raw ?? o.default;
        if (!o.choices.includes(value)) {
          console.error(`--${k} must be one of ${o.choices.join(', ')}, not ${JSON.stringify(raw)}`);
          process.exit(2);
        }
        return [k, value];
      }
      const n = raw === undefined ? o.default : Number(raw);
      if (!Number.isInteger(n) || n < 1) {
        console.error(`--${k} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
        process.exit(2);
      }
      return [k, n];
    }),
  ) as BenchOptionValues<O>;
}

/** The benches whose options are all numbers call it by this name. */
export const wholeNumberOptions = <O extends Record<string, NumberOption>>(script: string, options: O): Record<keyof O, number> =>
  benchOptions(script, options) as Record<keyof O, number>;
