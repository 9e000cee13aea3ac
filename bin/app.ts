/** The CDK app (cdk.json: `npx tsx bin/app.ts`). What it holds: lib/app.ts. */
import { App } from 'aws-cdk-lib';
import { defineApp } from '../lib/app.js';

defineApp(new App());
