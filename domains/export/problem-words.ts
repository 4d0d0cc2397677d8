import type { z } from 'zod';

// What is wrong with a record of a bundle, in our words. A bundle's problems
// reach the people who sent it (the import's answer, `scaiwave export verify`),
// so they name the field and what it should be, never a library's own message:
// those change with the library's version and say nothing of the format
// (docs/export-format.md), which is what the sender can fix.

/** The first few issues of a record, `field: what is wrong`, joined by `; `. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], max = 3): string {
  return issues
    .slice(0, max)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'record'}: ${issueWords(issue)}`)
    .join('; ');
}

function issueWords(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected a ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return `not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? `shorter than ${String(issue.minimum)} characters` : `less than ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' ? `longer than ${String(issue.maximum)} characters` : `more than ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'not in the expected form' : `not a valid ${issue.format}`;
    // Our own refinements (bundlePath in domains/export/format.ts): their messages are ours.
    case 'custom':
      return issue.message;
    default:
      return 'not a valid value';
  }
}
