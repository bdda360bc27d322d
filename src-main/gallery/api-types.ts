/**
 * The gallery's station API (issue #15): nights, random-access pages for a
 * virtualised grid, one capture's details, tags, filter values and delete.
 * Pure zod and types (no Node imports): the renderer and preload import it.
 */
import { z } from 'zod';
import { returns } from '../api/method.js';
import type { CaptureView } from '../api/contract.js';

const CaptureId = z
  .string()
  .max(300)
  .regex(/^[^/]+\/.+$/, 'a capture id looks like "<agentId>/<captureId>"');
const Name = z.string().min(1).max(128);
const Tag = z
  .string()
  .trim()
  .min(1, 'a tag is 1 to 40 characters')
  .max(40, 'a tag is 1 to 40 characters')
  .regex(/^[^\s,][^,]*$/, 'a tag has no commas and does not start with a space');

/** What the gallery's filter bar selects. Every field narrows; none means everything. */
export const GalleryFilter = z.strictObject({
  agentIds: z.array(Name).max(256).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  schedule: Name.optional(),
  profile: Name.optional(),
  testId: Name.optional(),
  variant: z.string().min(1).max(32).optional(),
  /** 'dark': only dark frames; 'light': no dark frames. */
  frameKind: z.enum(['light', 'dark']).optional(),
  /** 'only': images of bracketed sets; 'exclude': no bracketed images. */
  brackets: z.enum(['only', 'exclude']).optional(),
  tag: Tag.optional(),
});
export type GalleryFilter = z.infer<typeof GalleryFilter>;

export interface GalleryItemView extends CaptureView {
  /** Mean luma of the thumbnail, 0–255 (null until measured): dark night frames are stretched for display. */
  meanBrightness: number | null;
  temperatureC: number | null;
  profileVersion: string | null;
  variant: string | null;
  tags: string[];
  /** Found on its camera after a crash without a journal row: settings it does not know are null ("unknown"). */
  reconciled: boolean;
}

export interface GalleryNightView {
  /** The evening's local date, "2026-01-10" (captures after midnight belong to the night before). */
  night: string;
  count: number;
  newest: string;
  oldest: string;
}

export interface GalleryDetailView extends GalleryItemView {
  /** What the camera used (settings_used from the agent), when known. */
  settings: Record<string, unknown> | null;
  clippedHighlights: number | null;
  clippedShadows: number | null;
  focusScore: number | null;
  importedAt: string;
}

export interface GalleryDeleteView {
  deleted: string[];
  /** Ids that were not in the gallery. */
  missing: string[];
  /** Per deleted id: the camera still holds its copy ('kept'), it was already removed there ('gone'), or the camera could not be asked ('unknown'). */
  agentCopies: Record<string, 'kept' | 'gone' | 'unknown'>;
  /** A sentence for the operator: what happened here and on the cameras. */
  message: string;
}

export const galleryMethods = {
  /** The matching captures grouped by night, newest first, with the total. */
  'gallery.nights': {
    params: z.strictObject({
      filter: GalleryFilter.default({}),
      /** The viewer's UTC offset in minutes (east positive, like +60 for CET): nights follow local evenings. */
      utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
    }),
    result: returns<{ total: number; nights: GalleryNightView[] }>(),
  },
  /** Captures `offset` … `offset + limit - 1` of a filter, newest first (random access for a virtualised grid). */
  'gallery.page': {
    params: z.strictObject({
      filter: GalleryFilter.default({}),
      offset: z.number().int().min(0).max(100_000_000).default(0),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    result: returns<{ items: GalleryItemView[] }>(),
  },
  'gallery.get': {
    params: z.strictObject({ id: CaptureId }),
    result: returns<GalleryDetailView>(),
  },
  /** The values the filters offer. */
  'gallery.facets': {
    params: z.strictObject({}).default({}),
    result: returns<{
      cameras: { agentId: string; name: string }[];
      schedules: string[];
      profiles: string[];
      tests: string[];
      tags: string[];
    }>(),
  },
  /** Add and remove tags on captures; returns each capture's tags afterwards. */
  'gallery.tag': {
    params: z
      .strictObject({
        ids: z.array(CaptureId).min(1).max(1000),
        add: z.array(Tag).max(20).default([]),
        remove: z.array(Tag).max(20).default([]),
      })
      .refine((p) => p.add.length + p.remove.length > 0, { message: 'give a tag to add or remove', path: ['add'] }),
    result: returns<{ tags: Record<string, string[]>; missing: string[] }>(),
  },
  /**
   * Delete captures from this computer's gallery (the original, its thumbnail
   * and its index entry). The camera's copy is never touched here: a camera
   * keeps a synced image until its retention removes it. When the camera no
   * longer has it (or cannot be asked), this computer holds the only copy, and
   * the delete is refused with code 'only_copy' unless confirmOnlyCopy is true.
   */
  'gallery.delete': {
    params: z.strictObject({
      ids: z.array(CaptureId).min(1).max(1000),
      confirmOnlyCopy: z.boolean().default(false),
    }),
    result: returns<GalleryDeleteView>(),
  },
} as const;

export type GalleryMethodName = keyof typeof galleryMethods;
