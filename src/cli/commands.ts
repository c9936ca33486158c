/** The `tsp2p` command (started by main.ts): a table of subcommands, each with declared options and its own --help. */
import { Tsp2pError } from '../errors.js';
import { helpText, parseCommand } from '../options.js';
import { TEXT_WIDTH, wrap } from '../words.js';
import { version } from '../version.js';
import type { Command } from './command.js';
import { execCommand, joinCommand, statusCommand, workerCommand } from './cluster-commands.js';
import { demoCommand } from './demo-command.js';
import { doctorCommand } from './doctor-command.js';
import { relayCommand } from './relay-command.js';
import { dhtCommand } from './dht-command.js';
import { hostCommand } from './host-command.js';
import { friendsCommand, idCommand } from './id-command.js';
import { installCommand } from './install-command.js';
import { kernelCommand } from './kernel-command.js';
import { runCommand } from './run-command.js';

const commands: Record<string, Command> = {
  install: installCommand,
  kernel: kernelCommand,
  run: runCommand,
  id: idCommand,
  friends: friendsCommand,
  host: hostCommand,
  join: joinCommand,
  worker: workerCommand,
  doctor: doctorCommand,
  relay: relayCommand,
  status: statusCommand,
  exec: execCommand,
  dht: dhtCommand,
  demo: demoCommand,
};

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  return [
    wrap(`tsp2p ${version}: a TypeScript Jupyter kernel whose %p2p magics run cells on a cluster of friends' computers`),
    '',
    'usage: tsp2p COMMAND [options]     (tsp2p COMMAND --help for its options)',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => wrap(`  ${name.padEnd(width)}${c.spec.summary}`, TEXT_WIDTH, width + 2)),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`tsp2p: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  const parsed = parseCommand(command.spec, rest);
  if (parsed.help) {
    process.stdout.write(helpText(command.spec) + '\n');
    return 0;
  }
  return command.run(parsed);
}

/** Runs the command line `argv` (without node and the script) and exits with its status. */
export function runTsp2p(argv: string[]): void {
  // Started by a notebook or the demo (background.ts), this process tells them how it is doing over IPC;
  // that channel must not be what keeps it alive.
  process.channel?.unref();

  // A long-running command whose terminal or parent went away must not die writing a status line.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }

  // A command that is done is done: exit now rather than when the event loop drains. (hyperdht keeps 10 s
  // timers after a server closes across NATs (lib/server.js of hyperdht 6.32.0, lines 444 and 451: the
  // prepunching and clearing timers), and a one-shot command must not linger.)
  // Writes to pipes and files are synchronous on Linux, so nothing printed is lost.
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // (A task's own error, RemoteError, is printed by the command that ran it, with its remote stack.)
      if (err instanceof Tsp2pError) {
        process.stderr.write(`tsp2p: ${err.message}\n`);
        process.exit(err.code === 'USAGE' ? 2 : 1);
      }
      process.stderr.write(`tsp2p: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
