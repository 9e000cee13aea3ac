/**
 * The FlexoTwin command line: `npx flexotwin <command> --help`. Each area registers its own commands;
 * this file only assembles them.
 */
import { Command } from 'commander';
import { registerLocalCommands } from '../local/cli.js';

const program = new Command('flexotwin')
  .description('FlexoTwin: condition monitoring and predictive maintenance for production machines')
  .version('0.1.0')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerLocalCommands(program);

await program.parseAsync(process.argv);
