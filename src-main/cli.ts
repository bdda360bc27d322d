/** Entry of the `skystation` command (built to out/main/cli.js). */
import { runCli } from './cli/main.js';

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
