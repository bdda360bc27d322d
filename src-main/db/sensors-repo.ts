import type { SensorReadingRecord } from '../agents/protocol.js';
import type { SensorPointView } from '../api/contract.js';
import type { Db } from './database.js';

/** A stored reading as the API shows it. */
export type SensorPoint = SensorPointView;

export interface SensorSeriesQuery {
  agentId: string;
  sensor?: string | undefined;
  /** Inclusive ISO instants. */
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
}

/** Sensor time series per agent, for charts; a reading is stored once whatever is retried. */
export class SensorsRepo {
  constructor(private readonly db: Db) {}

  /** The agent's highest reading id the station holds: the cursor for the next sync. */
  cursor(agentId: string): number {
    const row = this.db
      .prepare<[string], { id: number | null }>('SELECT MAX(reading_id) AS id FROM sensor_readings WHERE agent_id = ?')
      .get(agentId);
    return row?.id ?? 0;
  }

  /** Inserts readings (idempotent); returns how many were new. */
  insertMany(agentId: string, readings: readonly SensorReadingRecord[]): number {
    const stmt = this.db.prepare(
      `INSERT OR IGNORE INTO sensor_readings (agent_id, reading_id, sensor, probe, time, temperature_c, humidity_percent, lux)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let added = 0;
    this.db.transaction(() => {
      for (const r of readings) {
        added += stmt.run(agentId, r.id, r.sensor, r.probe, r.time, r.temperature_c, r.humidity_percent, r.lux).changes;
      }
    })();
    return added;
  }

  /** Readings in time order. */
  series(q: SensorSeriesQuery): SensorPoint[] {
    const where = ['agent_id = @agentId'];
    if (q.sensor !== undefined) where.push('sensor = @sensor');
    if (q.from !== undefined) where.push('time >= @from');
    if (q.to !== undefined) where.push('time <= @to');
    return this.db
      .prepare(
        `SELECT sensor, probe, time, temperature_c AS temperatureC, humidity_percent AS humidityPercent, lux
         FROM sensor_readings WHERE ${where.join(' AND ')} ORDER BY time, reading_id LIMIT @limit`,
      )
      .all({
        agentId: q.agentId,
        limit: q.limit,
        ...(q.sensor !== undefined ? { sensor: q.sensor } : {}),
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
      }) as SensorPoint[];
  }
}
