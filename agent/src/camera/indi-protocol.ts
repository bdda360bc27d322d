/**
 * Just enough of the INDI protocol (XML over TCP, version 1.7) for a client:
 * a streaming parser for the top-level messages and a property store.
 * http://www.clearskyinstitute.com/INDI/INDI.pdf
 */

export interface IndiChild {
  tag: string;
  attrs: Record<string, string>;
  text: string;
}

export interface IndiMessage {
  tag: string;
  attrs: Record<string, string>;
  children: IndiChild[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e.toLowerCase()] ?? '';
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${Object.entries(ENTITIES).find(([, v]) => v === c)![0]};`);
}

const ATTR = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function parseAttrs(s: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of s.matchAll(ATTR)) attrs[m[1]!] = decodeEntities(m[2] ?? m[3] ?? '');
  return attrs;
}

const CHILD = /<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(?:\/>|>([\s\S]*?)<\/\1\s*>)/g;

/**
 * Splits the byte stream into top-level INDI messages. Each message is one
 * element with one level of children (defNumber, oneSwitch, oneBLOB, ...);
 * a BLOB message can be megabytes, so the search for its end resumes where
 * the last chunk stopped.
 */
export class IndiParser {
  private buf = '';
  private pos = 0;
  private searchFrom = -1;

  push(text: string): IndiMessage[] {
    this.buf = this.pos > 0 ? this.buf.slice(this.pos) + text : this.buf + text;
    if (this.searchFrom >= 0) this.searchFrom = Math.max(0, this.searchFrom - this.pos);
    this.pos = 0;
    const out: IndiMessage[] = [];
    for (;;) {
      const lt = this.buf.indexOf('<', this.pos);
      if (lt < 0) {
        this.pos = this.buf.length;
        break;
      }
      this.pos = lt;
      if (this.buf.startsWith('<?', lt)) {
        const end = this.buf.indexOf('?>', lt);
        if (end < 0) break;
        this.pos = end + 2;
        continue;
      }
      const startEnd = endOfTag(this.buf, lt);
      if (startEnd < 0) break;
      const name = /^<([\w:.-]+)/.exec(this.buf.slice(lt, lt + 64));
      if (!name) {
        this.pos = startEnd + 1;
        continue;
      }
      const tag = name[1]!;
      const head = this.buf.slice(lt + 1 + tag.length, startEnd);
      if (head.endsWith('/')) {
        out.push({ tag, attrs: parseAttrs(head.slice(0, -1)), children: [] });
        this.pos = startEnd + 1;
        this.searchFrom = -1;
        continue;
      }
      const close = `</${tag}>`;
      const from = Math.max(startEnd + 1, this.searchFrom);
      const closeAt = this.buf.indexOf(close, from);
      if (closeAt < 0) {
        this.searchFrom = Math.max(startEnd + 1, this.buf.length - close.length);
        break;
      }
      const inner = this.buf.slice(startEnd + 1, closeAt);
      const children: IndiChild[] = [];
      for (const m of inner.matchAll(CHILD)) {
        children.push({ tag: m[1]!, attrs: parseAttrs(m[2] ?? ''), text: m[3] ?? '' });
      }
      out.push({ tag, attrs: parseAttrs(head), children });
      this.pos = closeAt + close.length;
      this.searchFrom = -1;
    }
    return out;
  }
}

/** Index of the '>' that ends the tag starting at `lt`, skipping quoted attribute values; -1 if not yet received. */
function endOfTag(s: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

export type IndiKind = 'Number' | 'Switch' | 'Text' | 'Light' | 'BLOB';

export interface IndiElement {
  value: string;
  min?: number;
  max?: number;
  step?: number;
}

export interface IndiProperty {
  device: string;
  name: string;
  kind: IndiKind;
  state: string;
  elements: Map<string, IndiElement>;
}

const DEF = /^def(Number|Switch|Text|Light|BLOB)Vector$/;
const SET = /^set(Number|Switch|Text|Light|BLOB)Vector$/;

/** The properties every device has defined, kept current from def/set/del messages. */
export class IndiPropertyStore {
  readonly devices = new Map<string, Map<string, IndiProperty>>();

  apply(msg: IndiMessage): void {
    const device = msg.attrs['device'];
    const name = msg.attrs['name'];
    if (msg.tag === 'delProperty' && device) {
      if (name) this.devices.get(device)?.delete(name);
      else this.devices.delete(device);
      return;
    }
    if (!device || !name) return;
    const def = DEF.exec(msg.tag);
    if (def) {
      const elements = new Map<string, IndiElement>();
      for (const c of msg.children) {
        const el: IndiElement = { value: c.text.trim() };
        if (c.attrs['min'] !== undefined) el.min = Number(c.attrs['min']);
        if (c.attrs['max'] !== undefined) el.max = Number(c.attrs['max']);
        if (c.attrs['step'] !== undefined) el.step = Number(c.attrs['step']);
        elements.set(c.attrs['name'] ?? '', el);
      }
      let props = this.devices.get(device);
      if (!props) this.devices.set(device, (props = new Map<string, IndiProperty>()));
      props.set(name, { device, name, kind: def[1] as IndiKind, state: msg.attrs['state'] ?? 'Idle', elements });
      return;
    }
    if (SET.test(msg.tag) && !msg.tag.startsWith('setBLOB')) {
      const prop = this.get(device, name);
      if (!prop) return;
      if (msg.attrs['state']) prop.state = msg.attrs['state'];
      for (const c of msg.children) {
        const el = prop.elements.get(c.attrs['name'] ?? '');
        if (el) el.value = c.text.trim();
      }
    }
  }

  get(device: string, name: string): IndiProperty | undefined {
    return this.devices.get(device)?.get(name);
  }

  number(device: string, name: string, element: string): number | null {
    const v = this.get(device, name)?.elements.get(element)?.value;
    if (v === undefined) return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }

  switchOn(device: string, name: string, element: string): boolean {
    return this.get(device, name)?.elements.get(element)?.value === 'On';
  }
}

export function newNumberVector(device: string, name: string, values: Record<string, number>): string {
  const body = Object.entries(values)
    .map(([k, v]) => `<oneNumber name="${escapeXml(k)}">${v}</oneNumber>`)
    .join('');
  return `<newNumberVector device="${escapeXml(device)}" name="${escapeXml(name)}">${body}</newNumberVector>\n`;
}

export function newSwitchVector(device: string, name: string, values: Record<string, boolean>): string {
  const body = Object.entries(values)
    .map(([k, v]) => `<oneSwitch name="${escapeXml(k)}">${v ? 'On' : 'Off'}</oneSwitch>`)
    .join('');
  return `<newSwitchVector device="${escapeXml(device)}" name="${escapeXml(name)}">${body}</newSwitchVector>\n`;
}
