import { describe, expect, it } from 'vitest';
import { cleanAfterThaw, logMark, noRedoSince } from '../../../src/apps/mysql-clean.js';
import { fakeConnect } from '../../support/fake-sql.js';

const mark = (current: number, checkpoint: number) => ({
  current: BigInt(current),
  checkpoint: BigInt(checkpoint),
});

describe('clean mode: does a restore replay redo?', () => {
  it.each([
    [
      'the log ends at the checkpoint record (10.8+) and has not grown',
      mark(116, 100),
      mark(116, 100),
      true,
    ],
    ['the older, 12-byte checkpoint record', mark(112, 100), mark(112, 100), true],
    ['the log ends exactly at the checkpoint', mark(100, 100), mark(100, 100), true],
    ['grown by one byte before the thaw', mark(116, 100), mark(117, 100), false],
    ['InnoDB checkpointed again (it wrote since)', mark(116, 100), mark(116, 200), false],
    ['already past the checkpoint record when read', mark(117, 100), mark(117, 100), false],
    ['not reported before', undefined, mark(116, 100), false],
    ['not reported after', mark(116, 100), undefined, false],
  ])('%s', (_what, before, after, expected) => {
    expect(noRedoSince(before, after)).toBe(expected);
  });

  it('the fact says redo only when there was some', () => {
    expect(cleanAfterThaw('purged, checkpointed', true)).toBe('purged, checkpointed');
    expect(cleanAfterThaw('purge behind, checkpointed', false)).toBe(
      'purge behind, checkpointed, redo after the checkpoint',
    );
  });

  it('reads both numbers from SHOW GLOBAL STATUS, whatever the case of their names; a server without them gives none', async () => {
    const f = fakeConnect([
      [
        /Innodb_lsn/,
        [
          { Variable_name: 'INNODB_LSN_LAST_CHECKPOINT', Value: '18446744073709551000' },
          { Variable_name: 'Innodb_lsn_current', Value: '18446744073709551016' },
        ],
      ],
    ]);
    expect(await logMark(await f.connect())).toEqual({
      current: 18446744073709551016n,
      checkpoint: 18446744073709551000n,
    });
    const none = fakeConnect([
      [/Innodb_lsn/, [{ Variable_name: 'Innodb_lsn_current', Value: '5' }]],
    ]);
    expect(await logMark(await none.connect())).toBeUndefined();
    const junk = fakeConnect([
      [
        /Innodb_lsn/,
        [
          { Variable_name: 'Innodb_lsn_current', Value: '' },
          { Variable_name: 'Innodb_lsn_last_checkpoint', Value: '5' },
        ],
      ],
    ]);
    expect(await logMark(await junk.connect())).toBeUndefined();
  });
});
