import { describe, expect, it } from 'vitest';
import { addressProblem, codeProblem } from './add-camera';

describe('addressProblem', () => {
  it('accepts the forms the station understands', () => {
    for (const a of [
      '192.168.1.40',
      'skycam.local:8080',
      'http://10.0.0.2:8081',
      'https://roof',
      ' roof:8080 ',
      '[::1]:8080',
    ])
      expect(addressProblem(a), a).toBeNull();
  });

  it('explains what is wrong in an operator’s words', () => {
    expect(addressProblem('')).toMatch(/Type the camera’s address/);
    expect(addressProblem('roof:99999')).toMatch(/port is a number from 1 to 65535/);
    expect(addressProblem('roof cam')).toMatch(/host name or IP address/);
    expect(addressProblem('ftp://roof')).toMatch(/host name or IP address/);
    expect(addressProblem('x'.repeat(301))).toMatch(/too long/);
  });
});

describe('codeProblem', () => {
  it('wants exactly six digits', () => {
    expect(codeProblem('123456')).toBeNull();
    expect(codeProblem('12345')).toMatch(/6 digits/);
    expect(codeProblem('12345a')).toMatch(/6 digits/);
  });
});
