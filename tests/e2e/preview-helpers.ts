/**
 * What the preview e2e test and the preview bench share: recording painted
 * frames from outside the UI (the frame element's data-frame-seq and
 * data-frame-captured-at, read by a MutationObserver in the page) and asking
 * the station for its agents over its own WebSocket API.
 */
import type { Page } from 'playwright-core';
import WebSocket from 'ws';

export interface PaintRecord {
  /** Frames painted (attribute changes with a new sequence number). */
  frames: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Paint time (page clock, ms since epoch) minus capture time from the frame header, per frame. */
  latenciesMs: number[];
  seconds: number;
}

/**
 * Runs in the page: watches the element matching `selector` for `ms` and
 * records each new frame. A function (not a string) because the UI's CSP
 * forbids eval.
 */
function recordPaints(args: { selector: string; ms: number }): Promise<PaintRecord> {
  type El = { dataset: Record<string, string | undefined> };
  const g = globalThis as unknown as {
    document: { querySelector(s: string): El | null };
    performance: { timeOrigin: number; now(): number };
    MutationObserver: new (cb: () => void) => {
      observe(el: El, o: { attributes: boolean; attributeFilter: string[] }): void;
      disconnect(): void;
    };
    setTimeout(fn: () => void, ms: number): void;
  };
  return new Promise((resolve) => {
    const el = g.document.querySelector(args.selector);
    const rec: PaintRecord = { frames: 0, firstSeq: null, lastSeq: null, latenciesMs: [], seconds: args.ms / 1000 };
    if (el === null) {
      resolve(rec);
      return;
    }
    let last: string | undefined = el.dataset['frameSeq'];
    const obs = new g.MutationObserver(() => {
      const seq = el.dataset['frameSeq'];
      if (seq === undefined || seq === last) return;
      last = seq;
      const at = g.performance.timeOrigin + g.performance.now();
      const captured = Number(el.dataset['frameCapturedAt']);
      rec.frames++;
      rec.firstSeq ??= Number(seq);
      rec.lastSeq = Number(seq);
      if (Number.isFinite(captured)) rec.latenciesMs.push(at - captured);
    });
    obs.observe(el, { attributes: true, attributeFilter: ['data-frame-seq'] });
    g.setTimeout(() => {
      obs.disconnect();
      resolve(rec);
    }, args.ms);
  });
}

export function recordFrames(page: Page, ms: number, selector = '[data-testid="preview-frame"]'): Promise<PaintRecord> {
  return page.evaluate(recordPaints, { selector, ms });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** One call on the station's WebSocket API (/api/ws), as the CLI makes it. */
export async function stationCall<T>(baseUrl: string, method: string, params: unknown = {}): Promise<T> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/ws`);
  try {
    return await new Promise<T>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method, params })));
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as {
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: { message: string };
        };
        if (msg.id !== 1) return;
        if (msg.ok) resolve(msg.result as T);
        else reject(new Error(msg.error?.message ?? 'station call failed'));
      });
    });
  } finally {
    ws.close();
  }
}

/** The agent's own count of live preview connections (its public Prometheus metrics). */
export async function agentPreviewClients(agent: { host: string; port: number }): Promise<number> {
  const text = await (await fetch(`http://${agent.host}:${agent.port}/metrics`)).text();
  const m = /^skystation_preview_clients (\d+)/m.exec(text);
  if (!m?.[1]) throw new Error('the agent reports no skystation_preview_clients metric');
  return Number(m[1]);
}

/** A camera as the station lists it (the fields the preview tests and bench use). */
export interface AgentLite {
  id: string;
  host: string;
  port: number;
  state: string;
}

/** Waits (polling, up to `timeoutMs`) for the station to list an online camera and returns it. */
export async function onlineAgent(baseUrl: string, timeoutMs = 30_000): Promise<AgentLite> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const agents = await stationCall<AgentLite[]>(baseUrl, 'listAgents');
    const online = agents.find((a) => a.state === 'online');
    if (online) return online;
    if (Date.now() > deadline) throw new Error(`no agent came online: ${JSON.stringify(agents)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
