import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The station's Prometheus metrics (GET /metrics when served headless). */
export class StationMetrics {
  readonly registry = new Registry();
  readonly agents = new Gauge({
    name: 'skystation_station_agents',
    help: 'Agents known to the station, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly imported = new Counter({
    name: 'skystation_station_captures_imported_total',
    help: 'Captures copied from agents, verified and indexed',
    registers: [this.registry],
  });
  readonly syncBytes = new Counter({
    name: 'skystation_station_sync_bytes_total',
    help: 'Bytes downloaded from agents by the sync engine',
    registers: [this.registry],
  });
  readonly syncErrors = new Counter({
    name: 'skystation_station_sync_errors_total',
    help: 'Captures whose import failed (retried on the next sync)',
    registers: [this.registry],
  });
  readonly syncBacklog = new Gauge({
    name: 'skystation_station_sync_backlog_captures',
    help: 'Unsynced captures reported by agents',
    labelNames: ['agent'] as const,
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: 'skystation_station_api_errors_total',
    help: 'Station API calls that failed, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly captureDuration = new Histogram({
    name: 'skystation_station_capture_request_duration_seconds',
    help: 'Capture-now requests, from request to indexed image',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
    registers: [this.registry],
  });

  constructor() {
    const p = 'skystation_station_';
    collectDefaultMetrics({ register: this.registry, prefix: p });
    // prom-client also prints the totals of its per-type active handle/request/resource gauges as gauges named
    // `..._total`, which promtool rejects (only counters end in _total); the per-type gauges stay.
    for (const what of ['handles', 'requests', 'resources'] as const) {
      this.registry.removeSingleMetric(`${p}nodejs_active_${what}_total`);
    }
    // Known codes print a 0 sample from the start so rate() and dashboards have a series before the first error.
    for (const code of ['agent_unknown', 'station_unreachable', 'export_job_not_found', 'internal'])
      this.apiErrors.inc({ code }, 0);
  }
}
