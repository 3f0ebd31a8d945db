import { describeFreezerContract, type FreezerFixture } from '../../contract/freezer-contract.js';
import { FakeFreezer } from '../../support/fakes.js';

// The fake the orchestration tests use keeps the same contract.
describeFreezerContract('fake (test double)', () => {
  const fixture = (failOn?: string): FreezerFixture => {
    const freezer = new FakeFreezer();
    if (failOn) freezer.failFreeze = true;
    return {
      freezer,
      frozen: () => (freezer.frozenNow ? freezer.mounts : []),
      failing: (mount) => fixture(mount),
    };
  };
  return fixture();
});
