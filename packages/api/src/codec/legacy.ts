import type { LegacyVersion } from '../scheme';

/** Older versions users still write: converted to the served version, or refused naming it. */
export const legacyVersions: LegacyVersion[] = [];
