import { describe, expect, it } from 'vitest';

// npm test and npm start run on the project's Node (scripts/node-env.sh), whatever
// the machine's own: Node 24, the LTS package.json's engines field asks for.
describe('runtime', () => {
  it('runs the suite on Node 24 LTS', () => {
    expect(process.versions.node).toMatch(/^24\./);
  });
});
