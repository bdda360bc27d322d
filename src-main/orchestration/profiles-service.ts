/**
 * The profile library's API: versioned exposure profiles, inheritance,
 * diffs and rollback (seed 002's profile system). The editor's own methods
 * live in profiles/api-handlers.ts.
 */
import type { ProfileSummary, ProfileVersionView } from '../api/orchestration.js';
import { PartialSettings, type ProfileVersion } from '../profiles/definition.js';
import type { ProfileLibrary } from '../profiles/store.js';
import { StationError } from '../util/errors.js';
import { checked, type OrchHandlers } from './common.js';

type ProfileMethods =
  | 'listProfiles'
  | 'getProfile'
  | 'createProfile'
  | 'extendProfile'
  | 'saveProfileVersion'
  | 'diffProfile'
  | 'rollbackProfile';

function versionView(v: ProfileVersion): ProfileVersionView {
  return v;
}

export class ProfilesService {
  readonly name = 'profiles';

  constructor(private readonly deps: { profiles: ProfileLibrary }) {}

  private async refuseExisting(profileId: string): Promise<void> {
    if ((await this.deps.profiles.history(profileId)).length > 0) {
      throw new StationError(
        'PROFILE_EXISTS',
        `Profile "${profileId}" exists already; save a new version of it instead.`,
      );
    }
  }

  readonly handlers: OrchHandlers<ProfileMethods> = {
    listProfiles: async () => {
      const out: ProfileSummary[] = [];
      for (const id of await this.deps.profiles.list()) {
        const history = await this.deps.profiles.history(id);
        const latest = await this.deps.profiles.get(id);
        out.push({
          profileId: id,
          name: latest.name ?? id,
          description: latest.description ?? null,
          latest: latest.version,
          versions: history.length,
          extends: latest.extends
            ? `${latest.extends.profile_id}${latest.extends.version ? `@${latest.extends.version}` : ''}`
            : null,
        });
      }
      return out;
    },
    getProfile: async (p) => {
      const v = await this.deps.profiles.get(p.profileId, p.version);
      const resolved = await this.deps.profiles.resolve(p.profileId, v.version);
      const history = (await this.deps.profiles.history(p.profileId)).map((h) => ({
        version: h.version,
        created_at: h.created_at,
        note: h.note ?? null,
      }));
      const snapshot = await this.deps.profiles.compile(p.profileId, v.version);
      return {
        version: versionView(v),
        resolved: { name: resolved.name, lineage: resolved.lineage, settings: resolved.settings },
        history,
        snapshot,
      };
    },
    createProfile: async (p) => {
      checked(PartialSettings, p.draft.settings, 'draft.settings');
      await this.refuseExisting(p.draft.profile_id);
      return versionView(
        await this.deps.profiles.save(p.draft, { version: '1.0.0', ...(p.note ? { note: p.note } : {}) }),
      );
    },
    extendProfile: async (p) => {
      checked(PartialSettings, p.draft.settings, 'draft.settings');
      await this.refuseExisting(p.draft.profile_id);
      await this.deps.profiles.get(p.parent.profile_id, p.parent.version);
      return versionView(
        await this.deps.profiles.save(
          { ...p.draft, extends: p.parent },
          { version: '1.0.0', ...(p.note ? { note: p.note } : {}) },
        ),
      );
    },
    saveProfileVersion: async (p) => {
      const latest = await this.deps.profiles.get(p.profileId);
      const name = p.name ?? latest.name;
      const description = p.description ?? latest.description;
      return versionView(
        await this.deps.profiles.save(
          {
            profile_id: p.profileId,
            ...(name === undefined ? {} : { name }),
            ...(description === undefined ? {} : { description }),
            ...(latest.extends ? { extends: latest.extends } : {}),
            settings: checked(PartialSettings, p.settings, 'settings'),
          },
          {
            ...(p.version ? { version: p.version } : {}),
            ...(p.bump ? { bump: p.bump } : {}),
            ...(p.note ? { note: p.note } : {}),
          },
        ),
      );
    },
    diffProfile: (p) => this.deps.profiles.diff(p.profileId, p.from, p.to),
    rollbackProfile: async (p) => versionView(await this.deps.profiles.rollback(p.profileId, p.toVersion)),
  };
}
