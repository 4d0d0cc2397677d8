import path from 'node:path';
import { writeWorkflowBundle } from '../worker/bundle.js';

const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
await writeWorkflowBundle(out);
console.log(`workflow bundle written to ${out}`);
