/**
 * README, package.json `engines`, CI and the installed dependencies agree on
 * which Node runs what (issue #17), and the installer configuration covers
 * the three systems. Read from the files themselves, so a change to one
 * that the others do not follow fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const json = (
  p: string,
): { engines?: { node?: string }; scripts?: Record<string, string>; devDependencies?: Record<string, string> } =>
  JSON.parse(read(p)) as never;

/** "x.y" from an engines range like ">=22.12.0" or ">= 20.19". */
const floor = (range: string | undefined): string => /(\d+\.\d+)/.exec(range ?? '')?.[1] ?? '?';

describe('Node versions: README, engines, CI and dependencies agree', () => {
  const desktopFloor = floor(json('node_modules/electron/package.json').engines?.node);
  const getFloor = floor(json('node_modules/@electron/get/package.json').engines?.node);

  it('the station, the agent and the tests run on Node 20.19+', () => {
    expect(floor(json('package.json').engines?.node)).toBe('20.19');
    expect(floor(json('agent/package.json').engines?.node)).toBe('20.19');
    const readme = read('README.md');
    expect(readme).toContain('Node.js 20.19+');
    // CI runs on the machine's Node (20 here) without downloading Electron.
    expect(read('.ci/run')).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD=1');
  });

  it("the Electron runtime's install and the installers need what electron and @electron/get ask for, and the README says so", () => {
    expect(desktopFloor).toBe(getFloor);
    const readme = read('README.md');
    expect(readme).toContain(`Node.js ${desktopFloor}+`);
    expect(read('scripts/dist.mjs')).toContain(`const NEED = [${desktopFloor.replace('.', ', ')}]`);
  });
});

describe('desktop installers', () => {
  it('npm run dist builds AppImage and deb, dmg and NSIS with electron-builder', () => {
    const pkg = json('package.json');
    expect(pkg.scripts?.['dist']).toBe('node scripts/dist.mjs');
    expect(pkg.devDependencies?.['electron-builder']).toBeDefined();
    const config = read('electron-builder.yml');
    expect(config).toMatch(/linux:\n(\s+.*\n)*?\s+target: \[AppImage, deb\]/);
    expect(config).toMatch(/mac:\n(\s+.*\n)*?\s+target: \[dmg\]/);
    expect(config).toMatch(/win:\n(\s+.*\n)*?\s+target: \[nsis\]/);
    // The icons it names exist.
    for (const icon of config.matchAll(/icon: (\S+)/g)) expect(() => read(icon[1]!)).not.toThrow();
    // Built output and the agent it starts are packaged; installers land in dist/ (ignored by git).
    expect(config).toContain('- out/**');
    expect(config).toContain('- agent/dist/**');
    expect(read('.gitignore')).toMatch(/^dist\/$/m);
  });
});
