import { describe, expect, it } from 'vitest';
import { groupsEngine } from '../../../src/cli/commands/groups.js';

describe('groupsEngine', () => {
  it('rollback with -Engine auto is the local engine (the only one that rolls back), even where auto would pick the cloud', () => {
    expect(groupsEngine('rollback', 'auto')).toBe('local');
  });
  it('an engine named explicitly is kept (ecs rollback says where to do it instead)', () => {
    expect(groupsEngine('rollback', 'ecs')).toBe('ecs');
    expect(groupsEngine('rollback', 'local')).toBe('local');
  });
  it('the other actions keep auto', () => {
    for (const action of ['list', 'show', 'delete'] as const)
      expect(groupsEngine(action, 'auto')).toBe('auto');
  });
});
