import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'lib/generated/', '.devstack/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Workflow code is replayed: Node's standard library and wall-clock or random
    // sources break determinism or the bundle. Each domain's workflows.ts (or
    // workflows/ folder) and the activity options they share are bundled.
    files: ['workflows/**/*.ts', 'domains/*/workflows.ts', 'domains/*/workflows/**/*.ts', 'lib/temporal/activity-options.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process'], message: 'no Node APIs in workflow code' }] },
      ],
    },
  },
  {
    // Pages the API serves run in the browser; the worklet in an AudioWorkletGlobalScope.
    files: ['web/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, AudioWorkletProcessor: 'readonly', registerProcessor: 'readonly', sampleRate: 'readonly' } },
  },
  {
    files: ['cli/**/*.ts', 'scripts/**/*.ts', 'devstack/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
