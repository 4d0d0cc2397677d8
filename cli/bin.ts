#!/usr/bin/env -S node --import tsx
// The `scaiwave` executable (package.json "bin"): TypeScript run through tsx.
import './main.js';
