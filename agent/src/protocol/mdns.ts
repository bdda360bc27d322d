/**
 * The agent's mDNS / DNS-SD advertisement: service type `_skystation._tcp` on
 * the agent's HTTP port, with these TXT keys (RFC 6763 §6):
 *
 *   txtvers  "1"
 *   id       the agent's stable id (agent.json)
 *   name     the name the station shows
 *   version  the agent's version
 *   model    the camera model
 *   caps     capabilities, a comma list (see CAPABILITY_TAGS)
 *   tlsfp    SHA-256 fingerprint of the agent's TLS certificate (left out when the agent serves plain HTTP)
 *   path     the API's base path ("/")
 *
 * Shared by the agent (which builds it) and the station (which parses it).
 * Parsing ignores keys it does not know, because RFC 6763 §6.4 asks clients to
 * and because a newer agent may add keys; every known key is still validated.
 */
import { z } from 'zod';

export const MDNS_SERVICE_NAME = 'skystation';
export const MDNS_SERVICE_TYPE = `_${MDNS_SERVICE_NAME}._tcp`;
export const MDNS_TXT_VERSION = '1';

/** Camera capability tags advertised in `caps`, from CameraCapabilities booleans. */
export const CAPABILITY_TAGS = ['preview', 'bracketing', 'autofocus', 'temperature', 'long-exposure', 'gain'] as const;

export interface AdvertisedAgent {
  id: string;
  name: string;
  version: string;
  cameraModel: string;
  capabilities: readonly string[];
  tlsFingerprint: string | null;
}

const TxtText = z
  .string()
  .max(200)
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters');

/** The TXT record as the station receives it (every value a string; bonjour-service decodes them so). */
export const AgentTxt = z.object({
  txtvers: z.literal(MDNS_TXT_VERSION).optional(),
  id: z.string().regex(/^[\w-]{1,64}$/, 'id must be 1-64 letters, digits, _ or -'),
  name: TxtText.pipe(z.string().min(1).max(64)),
  version: TxtText.pipe(z.string().min(1).max(32)),
  model: TxtText.optional(),
  caps: TxtText.optional(),
  tlsfp: z
    .string()
    .regex(/^(?:[0-9A-Fa-f]{2}:?){16,64}$/, 'tlsfp must be a hex fingerprint')
    .optional(),
  path: TxtText.optional(),
});
export type AgentTxt = z.infer<typeof AgentTxt>;

/** The TXT key/value pairs for an agent. Empty values are left out (bonjour-service cannot decode "key="). */
export function buildTxt(agent: AdvertisedAgent): Record<string, string> {
  const txt: Record<string, string> = {
    txtvers: MDNS_TXT_VERSION,
    id: agent.id,
    name: agent.name,
    version: agent.version,
  };
  if (agent.cameraModel) txt['model'] = agent.cameraModel.slice(0, 200);
  const caps = agent.capabilities.filter((c) => /^[\w-]+$/.test(c)).join(',');
  if (caps) txt['caps'] = caps.slice(0, 200);
  if (agent.tlsFingerprint) txt['tlsfp'] = agent.tlsFingerprint;
  txt['path'] = '/';
  return txt;
}

/** Turns a parsed TXT record back into the advertised facts. */
export function advertisedFromTxt(txt: AgentTxt): AdvertisedAgent & { apiPath: string } {
  return {
    id: txt.id,
    name: txt.name,
    version: txt.version,
    cameraModel: txt.model ?? '',
    capabilities: (txt.caps ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    tlsFingerprint: txt.tlsfp ?? null,
    apiPath: txt.path ?? '/',
  };
}

/**
 * The DNS-SD instance name: the agent's name plus the start of its id, so two
 * cameras both called "roof" do not collide (at most 63 bytes, RFC 6763 §4.1.1).
 */
export function instanceNameFor(agent: Pick<AdvertisedAgent, 'id' | 'name'>): string {
  const suffix = ` (${agent.id.slice(0, 8)})`;
  let name = agent.name.replace(/\./g, '-');
  while (Buffer.byteLength(name + suffix) > 63) name = name.slice(0, -1);
  return name + suffix;
}
