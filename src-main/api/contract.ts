/**
 * The station API: the one contract between the UI (renderer, CLI, scripts)
 * and the brain. Pure TypeScript + zod, no Node imports, so the renderer and
 * the preload can import it too.
 *
 * Transports (Electron IPC, WebSocket) carry three kinds of messages:
 *   request  {id, method, params}
 *   response {id, ok: true, result} | {id, ok: false, error: {code, message}}
 *   event    {event, data}
 */
import { z } from 'zod';
import { returns } from './method.js';
import { orchestrationMethods, type DeploymentView } from './orchestration.js';
import { exportMethods, type ExportEvent } from '../export/api-types.js';
import { settingsMethods } from '../settings/api-types.js';
import { galleryMethods } from '../gallery/api-types.js';
import { profileMethods } from '../profiles/api-types.js';

export * from '../export/api-types.js';
export * from '../settings/api-types.js';
export * from '../gallery/api-types.js';
export * from '../profiles/api-types.js';
export * from './orchestration.js';

export const AgentState = z.enum(['discovered', 'unpaired', 'paired', 'online', 'offline']);
export type AgentState = z.infer<typeof AgentState>;

export interface AgentView {
  id: string;
  name: string;
  host: string;
  port: number;
  state: AgentState;
  lastSeen: string | null;
  cameraModel: string | null;
  cameraReady: boolean;
  /** The camera's capability tags (e.g. 'bracketing'); null until the agent has reported them. */
  capabilities?: string[] | null;
  diskUsedPercent: number | null;
  unsynced: number | null;
  /** °C from the agent's first temperature sensor, else its SoC; null when it has neither. */
  temperatureC?: number | null;
  lastError: string | null;
  embedded: boolean;
  /** sha256 fingerprint of the agent's TLS certificate ("AB:CD:…"): pinned once paired, advertised before; null without TLS. */
  tlsFingerprint?: string | null;
  /** How the station learnt of it: added by address, found on the network (mDNS), or the embedded simulator. */
  source?: 'manual' | 'mdns' | 'embedded';
  /** The station's last deployment to this agent (issue #5); absent before any. */
  deployment?: DeploymentView | null;
  /** Agent clock minus station clock at the last check (ms); null before the first. */
  clockOffsetMs?: number | null;
  /** What the agent itself reports as deployed (GET /status). */
  deployedProfile?: { profileId: string; version: string } | null;
}

export interface SessionView {
  agentId: string;
  active: boolean;
  intervalSeconds: number | null;
  startedAt: string | null;
  captures: number;
  failed: number;
  /** Intervals that passed with no capture while the camera's agent was down. */
  missed: number;
  lastCaptureAt: string | null;
  nextCaptureAt: string | null;
  stoppedAt: string | null;
  stopReason: string | null;
}

/** One line of a camera's own log (GET /api/logs on the agent). */
export interface AgentLogEntryView {
  time: string;
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  module: string;
}

/** Who controls the camera among interactive viewers; the paired station always may (issue #15). */
export interface AgentControlView {
  agentId: string;
  /** The viewer session that may change things, or null when none has asked. */
  masterSessionId: string | null;
  /** True when the master took control with force-master. */
  forced: boolean;
  sessions: number;
  connections: number;
  maxConnections: number;
}

export interface SensorPointView {
  sensor: string;
  probe: string | null;
  time: string;
  temperatureC: number | null;
  humidityPercent: number | null;
  lux: number | null;
}

export interface ClockSetView {
  agentId: string;
  /** Agent minus station before the correction, in ms. */
  offsetBeforeMs: number;
  /** Agent minus station after it, in ms (measured again). */
  offsetAfterMs: number;
  applied: 'offset' | 'system_clock' | 'none';
}

export interface CaptureView {
  id: string;
  agentId: string;
  agentName: string;
  capturedAt: string;
  schedule: string | null;
  profile: string | null;
  testId: string | null;
  /** Null when not known (a capture reconciled after an agent crash). */
  iso: number | null;
  shutterSpeed: string | null;
  lux: number | null;
  width: number;
  height: number;
  sizeBytes: number;
  sha256: string;
  /** Relative media path, e.g. "thumbs/<id>.jpg"; the transport turns it into a URL. */
  thumbPath: string;
  /** False while the thumbnail is still being made (just after a bulk sync): show a placeholder. */
  thumbReady?: boolean;
  /** Mean luma 0–255 once measured (with the thumbnail); night frames are stretched for display from it. */
  meanBrightness?: number | null;
  imagePath: string;
  /** Part of a bracketed set (merged into one frame in exports). */
  bracket?: { group: string; index: number; count: number; ev: number } | null;
  /** 'dark' frames are subtracted from night frames in exports, never exported themselves. */
  frameKind?: 'light' | 'dark';
}

export interface CapturePage {
  items: CaptureView[];
  nextCursor: string | null;
}

export interface StationHealth {
  status: 'ok';
  version: string;
  agents: number;
  agentsOnline: number;
  captures: number;
  startedAt: string;
}

export const AddAgentParams = z.strictObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  name: z.string().max(64).optional(),
  /** The agent's access token (issue 4): its admin token or one from POST /pair. */
  token: z.string().min(32).max(512).optional(),
});
/** A capture's kind: a picture, or a dark frame (lens capped) for dark-frame subtraction. */
const FrameKindParam = z.enum(['light', 'dark']);
export const CaptureNowParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  /** 'dark': the operator has capped the lens; the frame is kept for dark-frame subtraction. */
  frameKind: FrameKindParam.optional(),
});
/** A bracketed set (HDR) from the metered exposure: offsets in stops, taken back to back in this order. */
export const CaptureBracketParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  evs: z
    .array(z.number().min(-6, 'each offset is -6 to 6 stops').max(6, 'each offset is -6 to 6 stops'))
    .min(2, 'a bracket has 2 to 9 exposures')
    .max(9, 'a bracket has 2 to 9 exposures')
    .refine((evs) => new Set(evs).size === evs.length, { message: 'the offsets must all be different' }),
  frameKind: FrameKindParam.optional(),
});
export const ListCapturesParams = z.strictObject({
  agentId: z.string().min(1).max(128).optional(),
  cursor: z.string().max(256).optional(),
  limit: z.number().int().min(1).max(500).default(50),
  /** Only lights or only dark frames (both when missing). */
  frameKind: FrameKindParam.optional(),
});
/** Mark captures as dark frames (lens capped) or back as lights; ids are CaptureView.id ("<agentId>/<captureId>"). */
export const SetFrameKindParams = z.strictObject({
  ids: z
    .array(
      z
        .string()
        .max(300)
        .regex(/^[^/]+\/.+$/, 'a capture id looks like "<agentId>/<captureId>"'),
    )
    .min(1)
    .max(1000),
  kind: FrameKindParam,
});
export const AgentIdParams = z.strictObject({ agentId: z.string().min(1).max(128) });
/** Pair with a camera using the 6-digit code it shows: by id (seen on the network or known) or by address. */
export const PairAgentParams = z
  .strictObject({
    agentId: z.string().min(1).max(128).optional(),
    /** "HOST:PORT", "HOST" (port 8080) or "http(s)://HOST:PORT". */
    url: z.string().min(1).max(300).optional(),
    code: z.string().regex(/^\d{6}$/, 'the pairing code is the 6 digits the camera shows'),
  })
  .refine((p) => (p.agentId === undefined) !== (p.url === undefined), {
    message: 'give either agentId or url, not both',
    path: ['agentId'],
  });
export const EmptyParams = z.strictObject({}).default({});
export const StartSessionParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  intervalSeconds: z.number().int().min(1, 'the interval is 1 to 3600 s').max(3600, 'the interval is 1 to 3600 s'),
});
export const AgentLogParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  limit: z.number().int().min(1, 'ask for 1 to 500 lines').max(500, 'ask for 1 to 500 lines').default(200),
  /** Only this level and above. */
  level: z.enum(['info', 'warning', 'error']).optional(),
});
export const ForceMasterParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a viewer session id is 8 to 64 letters, digits, "-" or "_"'),
});
export const SensorSeriesParams = z.strictObject({
  agentId: z.string().min(1).max(128),
  sensor: z.string().min(1).max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.number().int().min(1).max(100_000).default(5000),
});

/** Every method: its params schema and (as a phantom) its result type. */
export const methods = {
  health: { params: EmptyParams, result: returns<StationHealth>() },
  listAgents: { params: EmptyParams, result: returns<AgentView[]>() },
  addAgent: { params: AddAgentParams, result: returns<AgentView>() },
  removeAgent: { params: AgentIdParams, result: returns<{ removed: boolean }>() },
  pairAgent: { params: PairAgentParams, result: returns<AgentView>() },
  captureNow: { params: CaptureNowParams, result: returns<CaptureView>() },
  /** Takes a bracketed set and copies it into the gallery; the views in the set's order (issue #6). */
  captureBracket: { params: CaptureBracketParams, result: returns<CaptureView[]>() },
  syncAgent: { params: AgentIdParams, result: returns<{ imported: number }>() },
  listCaptures: { params: ListCapturesParams, result: returns<CapturePage>() },
  /** Mark captures as dark frames or back as lights (issue #6); `missing` lists ids not in the gallery. */
  setFrameKind: {
    params: SetFrameKindParams,
    result: returns<{ updated: CaptureView[]; missing: string[] }>(),
  },
  /** A timelapse session on one camera: a capture every intervalSeconds until stopped (runs on the agent). */
  startSession: { params: StartSessionParams, result: returns<SessionView>() },
  stopSession: { params: AgentIdParams, result: returns<SessionView>() },
  sessionStatus: { params: AgentIdParams, result: returns<SessionView>() },
  /** Sensor time series of one agent (temperature, humidity, lux), for charts. */
  sensorSeries: { params: SensorSeriesParams, result: returns<SensorPointView[]>() },
  /** Corrects the agent's clock to the station's (as an offset on the agent, or its system clock when allowed). */
  setAgentClock: { params: AgentIdParams, result: returns<ClockSetView>() },
  /** The camera's own log, newest first (issue #15). */
  agentLog: { params: AgentLogParams, result: returns<AgentLogEntryView[]>() },
  /** Master/observer among the camera's interactive viewers (issue #15). */
  agentControl: { params: AgentIdParams, result: returns<AgentControlView>() },
  /** Hands control among the camera's viewers to one session (force-master). */
  forceMaster: { params: ForceMasterParams, result: returns<AgentControlView>() },
  ...orchestrationMethods,
  ...exportMethods,
  ...settingsMethods,
  ...galleryMethods,
  ...profileMethods,
} as const;

export type MethodName = keyof typeof methods;
export type ParamsOf<M extends MethodName> = z.input<(typeof methods)[M]['params']>;
export type ResultOf<M extends MethodName> = (typeof methods)[M]['result'];

/** An alert as it is pushed to the UI (and the desktop's notifications). */
export interface AlertEventData {
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  time: string;
  id?: number;
  agentId?: string | null;
}

export type StationEvent =
  | { event: 'agents.changed'; data: AgentView[] }
  | { event: 'capture.added'; data: CaptureView }
  /** A camera began an exposure of this many seconds (for the UI's countdown). */
  | { event: 'capture.started'; data: { agentId: string; exposureSeconds: number; startedAt: string } }
  | { event: 'alert'; data: AlertEventData }
  | ExportEvent;

export type StationEventName = StationEvent['event'];

/** The typed API object the renderer uses, whatever the transport. */
/** Every method of the table as a typed function. */
export type StationMethods = {
  [M in MethodName]: (params?: ParamsOf<M>) => Promise<ResultOf<M>>;
};

export type StationApi = StationMethods & {
  onEvent(listener: (event: StationEvent) => void): () => void;
  /** Turns a media path from the brain ("thumbs/x.jpg") into a URL the page can load. */
  mediaUrl(path: string): string;
};

/** A transport's one way to reach the brain: send a method and its params, get the result or throw. */
export type CallMethod = (method: MethodName, params: unknown) => Promise<unknown>;

/**
 * Every method in the table bound to a transport's `call`. The preload (IPC), the browser's WebSocket
 * transport and the CLI client all derive their API from this, so a method added to `methods` reaches
 * every transport without being written out again.
 */
export function bindStationApi(call: CallMethod): StationMethods {
  const api: Record<string, (params?: unknown) => Promise<unknown>> = {};
  for (const m of Object.keys(methods) as MethodName[]) api[m] = (params) => call(m, params ?? {});
  return api as StationMethods;
}

/** The brain's answer to one call, as it crosses a boundary (IPC, WebSocket): never a thrown error. */
export type Reply = { ok: true; result: unknown } | { ok: false; error: ApiError };

/**
 * What the Electron preload exposes as `window.skystation`: one invoke for every method of the table
 * (answering the Reply envelope, since contextBridge keeps an Error's message but drops its code and
 * details), the event stream and media URLs. The renderer turns it into a StationApi (toStationApi).
 */
export interface StationBridge {
  invoke(method: MethodName, params: unknown): Promise<Reply>;
  onEvent(listener: (event: StationEvent) => void): () => void;
  mediaUrl(path: string): string;
}

/** A Reply's result, or its error thrown as a StationApiError (code, message and details intact). */
export function unwrapReply(reply: unknown): unknown {
  if (typeof reply !== 'object' || reply === null || !('ok' in reply)) {
    throw new StationApiError({
      code: 'internal',
      message: 'The station sent an answer this window does not understand.',
    });
  }
  const r = reply as Reply;
  if (!r.ok) throw new StationApiError(r.error);
  return r.result;
}

export const RequestMessage = z.strictObject({
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  params: z.unknown().optional(),
});
export type RequestMessage = z.infer<typeof RequestMessage>;

export interface ApiError {
  code: string;
  /** A sentence for the operator: what happened and what to do. */
  message: string;
  /** Machine-readable particulars, e.g. the refused field of a bad_request ({field}). */
  details?: Record<string, unknown>;
}
export type ResponseMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiError };

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

/** The error a transport raises in the renderer when the brain answered ok:false. */
export class StationApiError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'StationApiError';
    this.code = error.code;
    this.details = error.details;
  }
}

/** A clock offset in an operator's words (the brain's clock alert and the fleet card). */
export { clockOffsetAgainst, formatClockOffset } from './clock-words.js';
