/** Checking what an operator types as a camera's address before asking the station to pair with it. */

/** A sentence saying what is wrong with the address, or null when it can be sent ("host", "host:port", "http(s)://host:port"). */
export function addressProblem(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'Type the camera’s address, like 192.168.1.40 or skycam.local:8080.';
  if (t.length > 300) return 'That address is too long.';
  const m = /^(?:(https?):\/\/)?([^\s/:]+|\[[0-9a-fA-F:]+\])(?::(\d+))?\/?$/.exec(t);
  if (m === null) return 'Type a host name or IP address, optionally with :port (like skycam.local:8080).';
  if (m[3] !== undefined) {
    const port = Number(m[3]);
    if (port < 1 || port > 65535) return 'The port is a number from 1 to 65535 (the camera’s default is 8080).';
  }
  return null;
}

/** A sentence about the pairing code, or null when it is six digits. */
export function codeProblem(code: string): string | null {
  return /^\d{6}$/.test(code) ? null : 'The pairing code is the 6 digits the camera shows in its log.';
}
