/** Programmatic entry: start an agent in-process (tests, the embedded simulated camera). */
export { startAgent, AGENT_VERSION, type AgentOptions, type RunningAgent } from './agent.js';
export { createCamera, CAMERA_DRIVERS, type CameraDriverName } from './camera/factory.js';
export type { CameraDriver, CaptureResult, CameraCapabilities } from './camera/driver.js';
export { AgentError } from './util/errors.js';
export * as protocol from './protocol/index.js';
export { tlsFingerprint } from './auth/tls.js';
