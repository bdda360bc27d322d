/**
 * Versioned profiles. Every save creates a new immutable version; rollback
 * creates a new version whose content equals an older one (history is never
 * rewritten). Persistence sits behind ProfileStore: the station keeps the
 * versions in its database (SqliteProfileStore); JsonFileProfileStore reads the
 * profiles.json of stations before issue #13, which is imported once at start
 * (src-main/state/legacy-import.ts).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ProfileSnapshot } from '../agents/protocol.js';
import type { Db } from '../db/database.js';
import { ProfilesRepo } from '../db/profiles-repo.js';
import { StationError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { compileProfile, resolveProfile, type CompileOptions } from './compile.js';
import {
  applyEdits,
  bumpSemVer,
  compareSemVer,
  ProfileDraft,
  ProfileVersion,
  type Bump,
  type ResolvedProfile,
} from './definition.js';
import { diffValues, type FieldChange } from './diff.js';
import { PRESETS } from './presets.js';

export const ProfileStoreData = z.strictObject({
  format: z.literal(1),
  /** Versions per profile, oldest first. */
  profiles: z.record(z.string(), z.array(ProfileVersion)),
});
export type ProfileStoreData = z.infer<typeof ProfileStoreData>;

export interface ProfileStore {
  load(): Promise<ProfileStoreData>;
  save(data: ProfileStoreData): Promise<void>;
}

const empty = (): ProfileStoreData => ({ format: 1, profiles: {} });

export class MemoryProfileStore implements ProfileStore {
  private data = empty();
  load(): Promise<ProfileStoreData> {
    return Promise.resolve(structuredClone(this.data));
  }
  save(data: ProfileStoreData): Promise<void> {
    this.data = structuredClone(data);
    return Promise.resolve();
  }
}

/**
 * The station database's profile_versions table. Versions are append-only: a
 * save stores the versions not stored yet and never changes an existing one.
 */
export class SqliteProfileStore implements ProfileStore {
  private readonly repo: ProfilesRepo;
  constructor(db: Db) {
    this.repo = new ProfilesRepo(db);
  }

  load(): Promise<ProfileStoreData> {
    const data = empty();
    for (const row of this.repo.all()) {
      const parsed = ProfileVersion.safeParse(row.json);
      if (!parsed.success) {
        return Promise.reject(
          new StationError(
            'PROFILE_STORE_CORRUPT',
            `The stored profile ${row.profileId} ${row.version} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
          ),
        );
      }
      (data.profiles[row.profileId] ??= []).push(parsed.data);
    }
    return Promise.resolve(data);
  }

  save(data: ProfileStoreData): Promise<void> {
    this.repo.addMissing(
      Object.values(data.profiles)
        .flat()
        .map((v) => ({ profileId: v.profile_id, version: v.version, createdAt: v.created_at, json: v })),
    );
    return Promise.resolve();
  }
}

/** One JSON file (stations before issue #13); a missing file is an empty store, a corrupt one is an error (never silently `{}`). */
export class JsonFileProfileStore implements ProfileStore {
  constructor(private readonly path: string) {}

  async load(): Promise<ProfileStoreData> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw new StationError(
        'PROFILE_STORE_UNREADABLE',
        `Cannot read the profile file ${this.path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      return ProfileStoreData.parse(JSON.parse(text));
    } catch (err) {
      throw new StationError(
        'PROFILE_STORE_CORRUPT',
        `The profile file ${this.path} is damaged; restore it from a backup or move it away to start with an empty library.`,
        { cause: err },
      );
    }
  }

  async save(data: ProfileStoreData): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
  }
}

/** A stored version without its version, date and note: what a draft holds. */
function contentOf(v: ProfileVersion): ProfileDraft {
  const { version: _v, created_at: _c, note: _n, ...content } = v;
  return content;
}

export interface SaveOptions {
  /** Explicit version; must be above the latest. Default: bump the latest. */
  readonly version?: string;
  /** Used when no version is given; default "minor". The first version is 1.0.0. */
  readonly bump?: Bump;
  readonly note?: string;
  /**
   * false (default): a new version of an existing profile is its latest version
   * with the draft's fields changed (name, description and extends kept unless
   * the draft sets them; settings merged by applyEdits). true: the draft is the
   * whole content (rollback).
   */
  readonly replace?: boolean;
}

/** The profile library: save, history, resolve (inheritance), diff, rollback, compile. */
export class ProfileLibrary {
  private data: ProfileStoreData | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ProfileStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async loaded(): Promise<ProfileStoreData> {
    this.data ??= await this.store.load();
    return this.data;
  }

  /** Writes run one after another so two saves never lose each other. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private lookup(data: ProfileStoreData) {
    return (id: string, version: string | undefined): ProfileVersion | undefined => {
      const list = data.profiles[id] ?? [];
      return version === undefined
        ? [...list].sort((a, b) => compareSemVer(a.version, b.version)).at(-1)
        : list.find((v) => v.version === version);
    };
  }

  /** Save a draft as a new version (validated; the parent must exist). */
  save(draft: ProfileDraft, options: SaveOptions = {}): Promise<ProfileVersion> {
    return this.serial(async () => {
      const parsed = ProfileDraft.safeParse(draft);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new StationError(
          'PROFILE_INVALID',
          `The profile is not valid at ${i?.path.join('.') ?? '?'}: ${i?.message ?? ''}`,
        );
      }
      const data = await this.loaded();
      const latest = this.lookup(data)(parsed.data.profile_id, undefined);
      let version: string;
      if (options.version !== undefined) {
        if (!/^\d+\.\d+\.\d+$/.test(options.version))
          throw new StationError(
            'PROFILE_VERSION_INVALID',
            `"${options.version}" is not a semantic version like "1.2.0".`,
          );
        if (latest && compareSemVer(options.version, latest.version) <= 0) {
          throw new StationError(
            'PROFILE_VERSION_EXISTS',
            `Profile "${parsed.data.profile_id}" is already at ${latest.version}; give a higher version than that.`,
          );
        }
        version = options.version;
      } else version = latest ? bumpSemVer(latest.version, options.bump ?? 'minor') : '1.0.0';
      const content: ProfileDraft =
        latest && options.replace !== true
          ? {
              ...contentOf(latest),
              ...parsed.data,
              settings: applyEdits(latest.settings, parsed.data.settings),
            }
          : parsed.data;
      const stored: ProfileVersion = ProfileVersion.parse({
        ...content,
        version,
        created_at: this.now().toISOString(),
        ...(options.note === undefined ? {} : { note: options.note }),
      });
      const next: ProfileStoreData = {
        ...data,
        profiles: { ...data.profiles, [stored.profile_id]: [...(data.profiles[stored.profile_id] ?? []), stored] },
      };
      // Resolve before persisting: a version whose chain is broken is never stored.
      resolveProfile(stored, this.lookup(next));
      await this.store.save(next);
      this.data = next;
      return stored;
    });
  }

  /** Save presets A–F as 1.0.0 where they do not exist yet. */
  async installPresets(): Promise<void> {
    for (const p of PRESETS) {
      if ((await this.history(p.profile_id)).length === 0)
        await this.save(p, { version: '1.0.0', note: 'seed 002 preset' });
    }
  }

  /** Profile ids, sorted. */
  async list(): Promise<string[]> {
    return Object.keys((await this.loaded()).profiles).sort();
  }

  /** Every version of a profile, oldest first. */
  async history(profileId: string): Promise<ProfileVersion[]> {
    return [...((await this.loaded()).profiles[profileId] ?? [])];
  }

  /** One stored version (latest by default); throws PROFILE_NOT_FOUND. */
  async get(profileId: string, version?: string): Promise<ProfileVersion> {
    const found = this.lookup(await this.loaded())(profileId, version);
    if (!found) {
      throw new StationError(
        'PROFILE_NOT_FOUND',
        version ? `Profile "${profileId}" has no version ${version}.` : `There is no profile "${profileId}".`,
      );
    }
    return found;
  }

  /** A version merged with its ancestors. */
  async resolve(profileId: string, version?: string): Promise<ResolvedProfile> {
    const v = await this.get(profileId, version);
    return resolveProfile(v, this.lookup(await this.loaded()));
  }

  /** Changed fields between two versions, on the resolved settings plus name and parent. */
  async diff(profileId: string, fromVersion: string, toVersion: string): Promise<FieldChange[]> {
    const [a, b] = [await this.resolve(profileId, fromVersion), await this.resolve(profileId, toVersion)];
    const [ra, rb] = [await this.get(profileId, fromVersion), await this.get(profileId, toVersion)];
    return diffValues(
      { name: a.name, extends: ra.extends, settings: a.settings },
      { name: b.name, extends: rb.extends, settings: b.settings },
    );
  }

  /** New version (patch bump by default) with the content of `toVersion`. */
  async rollback(profileId: string, toVersion: string, bump: Bump = 'patch'): Promise<ProfileVersion> {
    const old = await this.get(profileId, toVersion);
    return this.save(contentOf(old), { bump, note: `rollback to ${toVersion}`, replace: true });
  }

  /** Resolve and compile into the agent's ProfileSnapshot. */
  async compile(profileId: string, version?: string, options: CompileOptions = {}): Promise<ProfileSnapshot> {
    return compileProfile(await this.resolve(profileId, version), options);
  }
}
