import { describe, expect, it } from 'vitest';
import { COMMAND_NAME_MAX, commandName } from '../../../src/fleet/cloud.js';

describe("RunCommand's Name", () => {
  it('is kept when it fits, and cut to 128 characters (not bytes) when it does not', () => {
    expect(commandName('app-snapshot-plugin nightly')).toBe('app-snapshot-plugin nightly');
    const fits = 'a'.repeat(COMMAND_NAME_MAX);
    expect(commandName(fits)).toBe(fits);
    const long = `app-snapshot-plugin cluster ${'快照'.repeat(80)}`;
    const cut = commandName(long);
    expect([...cut]).toHaveLength(COMMAND_NAME_MAX);
    expect(cut.endsWith('...')).toBe(true);
    expect(long.startsWith(cut.slice(0, -3))).toBe(true);
  });
});
