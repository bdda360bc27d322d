/** One station API call over the headless station's WebSocket (/api/ws), as the browser UI makes it. */
import WebSocket from 'ws';
import type { MethodName, ParamsOf, ResultOf } from '../../src-main/api/contract.js';

export async function stationCall<M extends MethodName>(
  baseUrl: string,
  method: M,
  params: ParamsOf<M>,
  timeoutMs = 30_000,
): Promise<ResultOf<M>> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/ws`);
  try {
    return await new Promise<ResultOf<M>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} got no answer within ${timeoutMs} ms`)), timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`the station's WebSocket failed during ${method}: ${err.message}`));
      });
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method, params })));
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as {
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: { code: string; message: string };
        };
        if (msg.id !== 1) return; // an event
        clearTimeout(timer);
        if (msg.ok) resolve(msg.result as ResultOf<M>);
        else reject(new Error(`${method}: ${msg.error?.code ?? '?'} ${msg.error?.message ?? ''}`));
      });
    });
  } finally {
    ws.close();
  }
}
