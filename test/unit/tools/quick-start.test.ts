import { describe, expect, it } from 'vitest';
import { quickStartCommand } from '../../vm/quick-start.js';

describe("the README's ECS quick start (the guest VM suite runs its line)", () => {
  it("is the vendor's documented RunCommand content, word for word", () => {
    // The vendor's CommandContent (its Go example), unescaped.
    expect(quickStartCommand()).toBe(
      'acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-RamRoleName="AppSnapshotRoleName",-InstantAccess=true,-EnableFsFreeze=true,-TimeoutInSeconds=30,-PreScriptPath="/tmp/prescript.sh",-PostScriptPath="/tmp/postscript.sh",-InstantAccessRetentionDays=1,-ExcludeDiskId="",-Name="LinuxApp1"',
    );
  });
  it('a page without the section, or with two lines, is refused', () => {
    expect(() => quickStartCommand('# x\n## Other\n')).toThrow(/found 0/);
    const two =
      '## Quick start: one ECS instance\nacs-plugin-manager --exec a\nacs-plugin-manager --exec b\n## Next\n';
    expect(() => quickStartCommand(two)).toThrow(/found 2/);
  });
});
