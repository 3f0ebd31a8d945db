// A new lab must fit the filesystem under it: sparse disk images that fill it up fail their
// writes and corrupt the lab's filesystems (seen in a guest whose 2 GiB root held the lab).
import { describe, expect, it } from 'vitest';
import { checkLabSpace } from '../../../src/lab/lab.js';
import { AgentError } from '../../../src/errors/errors.js';

const MiB = 2 ** 20;
const opts = (disks: number, sizeMiB: number) => ({
  disks,
  sizeBytes: sizeMiB * MiB,
});

describe('checkLabSpace', () => {
  it('refuses a lab whose disks, written, would not fit: exit 1, the numbers and the way out', () => {
    let caught: unknown;
    try {
      checkLabSpace(700 * MiB, '/var/lib', opts(1, 1024));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AgentError);
    expect((caught as AgentError).kind).toBe('ConditionCheckFailed');
    expect((caught as Error).message).toBe(
      "lab: /var/lib has 700 MiB free, less than the 1 disk(s) of 1024 MiB need when written (1024 MiB); a full filesystem under the lab would fail the disks' writes and corrupt them: use a smaller --size, fewer --disks, or a --root with room",
    );
  });
  it('counts every disk', () => {
    expect(() => checkLabSpace(1000 * MiB, '/x', opts(2, 512))).toThrow(/1024 MiB\)/);
    expect(() => checkLabSpace(1024 * MiB, '/x', opts(2, 512))).not.toThrow();
  });
});
