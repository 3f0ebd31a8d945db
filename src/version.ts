// Kept in step with package.json by a unit test.
export const VERSION = '0.1.0';

// packaging/bundle.mjs defines it (git's short commit, "-dirty" when the tree had changes), so
// every packaged artefact says what it was built from; a build of a checkout has none.
declare const __APP_SNAPSHOT_COMMIT__: string | undefined;
export const COMMIT =
  typeof __APP_SNAPSHOT_COMMIT__ === 'string' ? __APP_SNAPSHOT_COMMIT__ : undefined;

/** What --version prints: the version and the commit of the build. */
export const VERSION_TEXT = `${VERSION} (${COMMIT ? `commit ${COMMIT}` : 'built from a checkout'})`;
