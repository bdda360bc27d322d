/**
 * Override (A/B) tests (seed 002's third mode): each camera takes every
 * variant's one-shot override in turn for a number of rounds, the frames are
 * copied and compared by their quality figures. A test runs in the
 * background; stop waits for the running ones.
 */
import { randomBytes } from 'node:crypto';
import { CaptureOverride } from '../agents/protocol.js';
import type { AlertCenter } from '../alerts/center.js';
import type { TestResults, TestVariantSpec, TestView, VariantResult } from '../api/orchestration.js';
import type { OrchestrationRepo, TestRow } from '../db/orchestration-repo.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { AssignmentsService } from './assignments-service.js';
import { checked, clock, toError, type OrchHandlers } from './common.js';

interface TestSpec {
  agentIds: string[];
  variants: TestVariantSpec[];
  rounds: number;
  schedule: string | null;
}

const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 10_000) / 10_000;
};

export interface AbTestDeps {
  repo: OrchestrationRepo;
  alerts: AlertCenter;
  assignments: AssignmentsService;
  /** Copy new captures from an agent into the gallery. */
  syncAgent: (agentId: string) => Promise<number>;
  log: Logger;
  now?: (() => Date) | undefined;
}

export class AbTestService {
  readonly name = 'abtests';
  private readonly runningTests = new Set<Promise<unknown>>();
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly deps: AbTestDeps) {
    this.now = clock(deps.now);
  }

  /** No new round starts; resolves when the running tests have finished theirs. */
  async stop(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.runningTests]);
  }

  private testView(row: TestRow): TestView {
    const spec = JSON.parse(row.specJson) as TestSpec;
    return {
      id: row.id,
      createdAt: row.createdAt,
      finishedAt: row.finishedAt,
      status: row.status,
      agentIds: spec.agentIds,
      variants: spec.variants,
      rounds: spec.rounds,
      schedule: spec.schedule,
      failures: JSON.parse(row.failuresJson) as TestView['failures'],
    };
  }

  private async executeTest(row: TestRow, spec: TestSpec): Promise<void> {
    const failures: TestView['failures'] = [];
    // Interleaved: round 1 variant A, B, …, round 2 A, B, …; every camera takes each step at once.
    for (let round = 1; round <= spec.rounds && !this.closed; round++) {
      for (const v of spec.variants) {
        await Promise.all(
          spec.agentIds.map(async (agentId) => {
            try {
              await this.deps.assignments.requireClient(agentId).capture({
                use_deployed_profile: true,
                override: checked(CaptureOverride, v.override, 'override'),
                test_id: row.id,
                variant: v.name,
                ...(spec.schedule ? { schedule_type: spec.schedule } : {}),
              });
            } catch (err) {
              const e = toError(err);
              failures.push({ agentId, variant: v.name, round, ...e });
            }
          }),
        );
      }
    }
    await Promise.all(
      spec.agentIds.map((id) =>
        this.deps.syncAgent(id).catch((err: unknown) => {
          failures.push({ agentId: id, variant: '*', round: 0, ...toError(err) });
        }),
      ),
    );
    const expected = spec.rounds * spec.variants.length * spec.agentIds.length;
    const done: TestRow = {
      ...row,
      finishedAt: this.now().toISOString(),
      status: failures.filter((f) => f.round > 0).length >= expected ? 'failed' : 'done',
      failuresJson: JSON.stringify(failures),
    };
    this.deps.repo.putTest(done);
    if (failures.length > 0) {
      this.deps.alerts.raise({
        level: 'warning',
        code: 'test_captures_failed',
        message: `Override test ${row.id}: ${failures.length} capture step(s) failed (first: ${failures[0]?.message ?? ''}).`,
      });
    }
  }

  private results(testId: string): TestResults {
    const row = this.deps.repo.test(testId);
    if (!row) throw new StationError('TEST_NOT_FOUND', `There is no override test "${testId}".`);
    const test = this.testView(row);
    const rows = this.deps.repo.testCaptures(testId);
    const names = [...test.variants.map((v) => v.name)];
    for (const r of rows) if (r.variant !== null && !names.includes(r.variant)) names.push(r.variant);
    const variants: VariantResult[] = names.map((name) => {
      const mine = rows.filter((r) => r.variant === name);
      return {
        variant: name,
        override: test.variants.find((v) => v.name === name)?.override ?? null,
        captures: mine.length,
        meanBrightness: mean(mine.map((r) => r.meanBrightness)),
        clippedHighlights: mean(mine.map((r) => r.clippedHighlights)),
        clippedShadows: mean(mine.map((r) => r.clippedShadows)),
        focusScore: mean(mine.map((r) => r.focusScore)),
        isoValues: [...new Set(mine.map((r) => r.iso))],
        shutterSpeeds: [...new Set(mine.map((r) => r.shutterSpeed))],
        items: mine.map((r) => ({
          id: `${r.agentId}/${r.captureId}`,
          agentId: r.agentId,
          capturedAt: r.capturedAt,
          iso: r.iso,
          shutterSpeed: r.shutterSpeed,
          thumbPath: r.thumbPath,
          imagePath: r.imagePath,
          meanBrightness: r.meanBrightness,
        })),
      };
    });
    return { test, variants };
  }

  readonly handlers: OrchHandlers<'runTest' | 'listTests' | 'testResults'> = {
    runTest: async (p) => {
      for (const id of p.agentIds) this.deps.assignments.requireAgent(id);
      const stamp = this.now()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'z')
        .toLowerCase();
      const id = `ab-${stamp}-${randomBytes(3).toString('hex')}`;
      const spec: TestSpec = {
        agentIds: [...new Set(p.agentIds)],
        variants: p.variants.map((v, i) => ({
          name: v.name,
          override: checked(CaptureOverride, v.override, `variants.${i}.override`),
        })),
        rounds: p.rounds,
        schedule: p.schedule ?? null,
      };
      const row: TestRow = {
        id,
        createdAt: this.now().toISOString(),
        finishedAt: null,
        status: 'running',
        specJson: JSON.stringify(spec),
        failuresJson: '[]',
      };
      this.deps.repo.putTest(row);
      const run = this.executeTest(row, spec).catch((err: unknown) => {
        this.deps.log.error({ err, testId: id }, 'override test failed');
        this.deps.repo.putTest({
          ...row,
          status: 'failed',
          finishedAt: this.now().toISOString(),
          failuresJson: JSON.stringify([{ agentId: '*', variant: '*', round: 0, ...toError(err) }]),
        });
      });
      this.runningTests.add(run);
      void run.finally(() => this.runningTests.delete(run));
      if (p.wait) await run;
      return this.testView(this.deps.repo.test(id)!);
    },
    listTests: () => Promise.resolve(this.deps.repo.tests().map((r) => this.testView(r))),
    testResults: (p) => Promise.resolve(this.results(p.testId)),
  };
}
