// Runs the real indiserver + indi_simulator_ccd inside a private network namespace
// (started by the test through `unshare --net --map-root-user`). indiserver 1.9 has
// no option to bind to loopback and would listen on every interface; inside the
// namespace it can only be reached through the filesystem socket this script
// bridges to, which the test forwards to a port on 127.0.0.1.
//
// Usage: node indi-netns.mjs SOCKET_PATH [driver ...]   prints "ready" when serving.
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, ...drivers] = process.argv.slice(2);
const PORT = 7624;
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const server = spawn('indiserver', ['-p', String(PORT), ...(drivers.length ? drivers : ['indi_simulator_ccd'])], {
  stdio: ['ignore', 'ignore', 'inherit'],
  detached: true,
});

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    process.kill(-server.pid, 'SIGKILL'); // indiserver and the drivers it started
  } catch {
    // already gone
  }
  rmSync(socketPath, { force: true });
  process.exit(code);
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
server.on('exit', () => stop(1));

async function waitForPort() {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(PORT, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('indiserver did not start listening');
}

await waitForPort();
rmSync(socketPath, { force: true });
createServer((client) => {
  const upstream = connect(PORT, '127.0.0.1');
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
}).listen(socketPath, () => process.stdout.write('ready\n'));
