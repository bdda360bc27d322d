/**
 * Live capture across the fleet (seed 002's first mode): the station meters
 * each camera, works out settings within its profile's limits (the adaptive
 * strategies, the holy-grail ramp from its previous live frame), captures and
 * copies the frame into the gallery.
 */
import { secondsToShutter, shutterToSeconds } from '../agents/protocol.js';
import type { AlertCenter } from '../alerts/center.js';
import type { FleetCaptureResult } from '../api/orchestration.js';
import { DEFAULT_SETTINGS, type ProfileSettings, type StrategyName } from '../profiles/definition.js';
import type { ProfileLibrary } from '../profiles/store.js';
import { applyStrategy, chooseStrategy } from '../profiles/strategies.js';
import { sunAltitudeDeg } from '../schedule/astro.js';
import { errorMessage } from '../util/errors.js';
import type { WeatherProvider } from '../weather/provider.js';
import type { AssignmentsService } from './assignments-service.js';
import { clock, toError, type FleetAccess, type OrchHandlers } from './common.js';
import { LiveRamp, type SeedFrame } from './live-ramp.js';
import type { LocationService } from './location-service.js';

export interface LiveCaptureDeps {
  fleet: FleetAccess;
  profiles: ProfileLibrary;
  alerts: AlertCenter;
  places: LocationService;
  assignments: AssignmentsService;
  /** Copy new captures from an agent into the gallery. */
  syncAgent: (agentId: string) => Promise<number>;
  /** Current weather for the adaptive strategies (optional; without it they follow the sun only). */
  weather?: WeatherProvider | null | undefined;
  /** A camera's latest light frames in the gallery, newest first: where the live ramp resumes after a restart. */
  latestFrames?: ((agentId: string) => readonly SeedFrame[]) | undefined;
  now?: (() => Date) | undefined;
}

export class LiveCaptureService {
  readonly name = 'live-capture';
  /** The last live frame per camera, so consecutive live frames change by at most max_step_ev. */
  private readonly liveRamp: LiveRamp;
  private readonly now: () => Date;

  constructor(private readonly deps: LiveCaptureDeps) {
    this.liveRamp = new LiveRamp(deps.latestFrames);
    this.now = clock(deps.now);
  }

  private async captureOne(agentId: string, schedule: string | undefined): Promise<FleetCaptureResult> {
    const agentName = this.deps.fleet.view(agentId)?.name ?? agentId;
    let settings: FleetCaptureResult['settings'] = null;
    let captureId: string | null = null;
    try {
      const client = this.deps.assignments.requireClient(agentId);
      const m = await client.meter();
      settings = await this.settingsFor(agentId, m.suggested_iso, m.suggested_shutter, m.lux);
      const profile = this.deps.assignments.assignmentFor(agentId)?.profileId ?? undefined;
      const r = await client.capture({
        iso: settings.iso,
        shutter_speed: settings.shutter_speed,
        schedule: schedule ?? 'manual',
        ...(profile ? { profile } : {}),
      });
      captureId = r.capture_id;
      this.liveRamp.record(agentId, settings, this.now().getTime());
      await this.deps.syncAgent(agentId);
      return {
        agentId,
        agentName,
        ok: true,
        settings,
        captureId,
        galleryId: `${agentId}/${r.capture_id}`,
        error: null,
      };
    } catch (err) {
      this.deps.alerts.raise({
        level: 'warning',
        code: 'capture_failed',
        message: `Capture on ${agentName} failed: ${errorMessage(err)}`,
        agentId,
      });
      return { agentId, agentName, ok: false, settings, captureId, galleryId: null, error: toError(err) };
    }
  }

  /** Meter reading → settings within the assigned profile's ISO/shutter limits and EV compensation. */
  private async settingsFor(
    agentId: string,
    iso: number,
    shutter: string,
    lux: number,
  ): Promise<{ iso: number; shutter_speed: string; lux: number; strategy: StrategyName | null }> {
    const profileId = this.deps.assignments.assignmentFor(agentId)?.profileId;
    const metered = { iso, shutter_speed: shutter, lux, strategy: null };
    if (!profileId) return this.ramped(agentId, metered, DEFAULT_SETTINGS);
    let s = (await this.deps.profiles.resolve(profileId).catch(() => null))?.settings;
    if (!s) return this.ramped(agentId, metered, DEFAULT_SETTINGS);
    // Seed 001's adaptive strategies: chosen from the sun now and, when a provider answers, the weather.
    const loc = this.deps.places.location();
    let strategy: StrategyName | null = null;
    if (loc) {
      const weather = this.deps.weather ? await this.deps.weather.current(loc) : null;
      strategy = chooseStrategy({ sunAltitudeDeg: sunAltitudeDeg(this.now().getTime(), loc), weather }, s.strategies);
      if (strategy) s = { ...s, ...applyStrategy(s, strategy) };
    }
    // Exposure = iso × t; positive compensation brightens.
    let exposure = iso * shutterToSeconds(shutter) * 2 ** s.ev_compensation;
    const tMin = shutterToSeconds(s.shutter_min);
    const tMax = shutterToSeconds(s.shutter_max);
    let outIso = Math.min(Math.max(iso, s.iso_min), s.iso_max);
    let t = exposure / outIso;
    if (t > tMax) {
      outIso = Math.min(s.iso_max, Math.round(exposure / tMax));
      t = tMax;
    } else if (t < tMin) {
      outIso = Math.max(s.iso_min, Math.round(exposure / tMin));
      t = Math.max(tMin, exposure / outIso);
    }
    exposure = t;
    return this.ramped(agentId, { iso: outIso, shutter_speed: secondsToShutter(exposure), lux, strategy }, s);
  }

  /** The holy-grail limit: at most max_step_ev from this camera's previous live frame (live-ramp.ts). */
  private ramped<T extends { iso: number; shutter_speed: string }>(agentId: string, out: T, s: ProfileSettings): T {
    const r = this.liveRamp.limit(
      agentId,
      out,
      {
        maxStepEv: s.max_step_ev,
        isoMin: s.iso_min,
        isoMax: s.iso_max,
        shutterMin: s.shutter_min,
        shutterMax: s.shutter_max,
      },
      this.now().getTime(),
    );
    return { ...out, iso: r.iso, shutter_speed: r.shutter_speed };
  }

  readonly handlers: OrchHandlers<'captureFleet'> = {
    captureFleet: (p) => Promise.all([...new Set(p.agentIds)].map((id) => this.captureOne(id, p.schedule))),
  };
}
