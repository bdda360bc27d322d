import type { AgentEvent } from '../protocol/index.js';
import type { SensorReading, SensorWarning } from './types.js';

type SensorAgentEvent = Extract<AgentEvent, { type: 'sensor' }>;
type WarningAgentEvent = Extract<AgentEvent, { type: 'warning' }>;

/**
 * A reading as a WS /events message. The wire event has no probe field, so a
 * probe is folded into the sensor name: `digitemp-ttyUSB0/28FF4A1B63160312`.
 */
export function toSensorEvent(reading: SensorReading): SensorAgentEvent {
  return {
    type: 'sensor',
    sensor: reading.probe === undefined ? reading.sensor : `${reading.sensor}/${reading.probe}`,
    time: reading.time,
    ...(reading.temperature_c === undefined ? {} : { temperature_c: reading.temperature_c }),
    ...(reading.humidity_percent === undefined ? {} : { humidity_percent: reading.humidity_percent }),
    ...(reading.lux === undefined ? {} : { lux: reading.lux }),
  };
}

/** A sensor warning as a WS /events message; the sensor name leads the message. */
export function toWarningEvent(warning: SensorWarning): WarningAgentEvent {
  return { type: 'warning', code: warning.code, message: `${warning.sensor}: ${warning.message}`, time: warning.time };
}
