import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `scaiwave …` from the sources, in its own process: the run's SCAIWAVE_* env plus `env`. */
export function runScaiwave(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliRun> {
  return runNode(['--import', 'tsx', 'cli/main.ts', ...args], env, timeoutMs);
}

/** The `scaiwave` bin as operators run it: the compiled CLI (`npm run build` first). */
export function runBuiltScaiwave(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliRun> {
  return runNode(['cli/bin.js', ...args], env, timeoutMs);
}

function runNode(nodeArgs: string[], env: Record<string, string>, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${nodeArgs.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
