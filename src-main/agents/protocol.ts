/** The agent's wire contract, owned by the agent package; the station is its client. */
export * from '../../agent/src/protocol/index.js';
