#!/usr/bin/env node
// The `scaiwave` executable (package.json "bin"). Plain JavaScript so it runs from
// any directory: tsx is resolved next to this file, not from the caller's cwd.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
