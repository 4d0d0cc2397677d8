import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

// .ts from sources, .js when this module runs compiled from dist/ (where the workflows are compiled too).
const ext = path.extname(fileURLToPath(import.meta.url));
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${ext}`, import.meta.url));
/** Run inside the workflow sandbox: the lifecycle log lines. Bundled with the workflows either way. */
export const workflowInterceptorModules = [fileURLToPath(new URL(`../workflows/interceptors${ext}`, import.meta.url))];

/** Production workers load this prebuilt bundle instead of running webpack at every start. */
export async function writeWorkflowBundle(outFile: string): Promise<void> {
  // Webpack's module listing at INFO says nothing a build log needs; warnings and errors still show.
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: new DefaultLogger('WARN') });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, code);
}
