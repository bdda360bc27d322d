import { describe, expect, it } from 'vitest';
import { fieldWords, operatorMessage } from './errors';

describe('operatorMessage', () => {
  it('names the thing to fix instead of the schema path', () => {
    expect(operatorMessage('bad_request', 'selection.to: Invalid ISO datetime')).toBe(
      'Check the end time: Invalid ISO datetime',
    );
    expect(operatorMessage('bad_request', 'agentIds.0: Too small')).toBe('Check the cameras: Too small');
    expect(operatorMessage('bad_request', 'intervalSeconds: the interval is 1 to 3600 s')).toBe(
      'Check the interval: the interval is 1 to 3600 s',
    );
    expect(operatorMessage('bad_request', 'settings.maxExposureSeconds: Too big')).toBe(
      'Check the max exposure seconds: Too big',
    );
    expect(operatorMessage('bad_request', '(params): Unrecognized key "x"')).toBe(
      'That was refused: Unrecognized key "x"',
    );
  });

  it('leaves other errors and unstructured text alone', () => {
    expect(operatorMessage('agent_unreachable', 'selection.to: x')).toBe('selection.to: x');
    expect(operatorMessage('bad_request', 'The camera is busy.')).toBe('The camera is busy.');
  });

  it('turns paths into words only when they read as words', () => {
    expect(fieldWords('a.b.0')).toBe('the b');
    expect(fieldWords('0')).toBeNull();
    expect(fieldWords('x[1]')).toBeNull();
  });
});
