#!/usr/bin/env node
// Runs the TypeScript CLI (bin/flexotwin.ts) through tsx, so `npx flexotwin` works straight from a clone.
import { tsImport } from 'tsx/esm/api';

await tsImport('./flexotwin.ts', import.meta.url);
