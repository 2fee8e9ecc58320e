#!/usr/bin/env node
// The installed `omega` command: registers the tsx loader (a runtime dependency) and runs the
// TypeScript entry, so the CLI needs no build step (docs/operations.md, "The omega command").
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
