import { describeFreezerContract, type FreezerFixture } from '../../contract/freezer-contract.js';
import { FakeFreezer } from '../../support/fakes.js';

// The fake the orchestration tests use keeps the same contract.
describeFreezerContract('fake (test double)', () => {
  const fixture = (failOn?: string, foreign: string[] = []): FreezerFixture => {
    const freezer = new FakeFreezer();
    freezer.failOn = failOn;
    freezer.foreign = foreign;
    return {
      freezer,
      frozen: () => [...freezer.foreign, ...freezer.frozen],
      failing: (mount) => fixture(mount),
      frozenByOthers: (mount) => fixture(undefined, [mount]),
    };
  };
  return fixture();
});
