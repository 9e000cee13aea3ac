/**
 * The FlexoTwin command line: `npx flexotwin <command> --help`. Each command lives in bin/commands/
 * as a thin module (options, progress, files) over the area that does the work; this file only
 * assembles them.
 */
import { Command } from 'commander';
import * as generateHistory from './commands/generate-history.js';
import * as importHistory from './commands/import.js';
import * as local from './commands/local.js';
import * as predict from './commands/predict.js';
import * as provision from './commands/provision.js';
import * as redrive from './commands/redrive.js';
import * as simulate from './commands/simulate.js';
import * as train from './commands/train.js';

const program = new Command('flexotwin')
  .description('FlexoTwin: condition monitoring and predictive maintenance for production machines')
  .version('0.1.0')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

for (const command of [local, redrive, provision, generateHistory, simulate, importHistory, train, predict])
  command.register(program);

await program.parseAsync(process.argv);
