import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('local')
    .description('run the whole system on this machine (MQTT broker, processor, API, simulator)')
    .action(() => {
      console.error('flexotwin local: the local runtime is not built yet (see the "Local runtime" issue).');
      process.exitCode = 1;
    });
}
