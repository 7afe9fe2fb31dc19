/**
 * The semver functions stream-doctor uses, each loaded from its own module (`semver/functions/...`,
 * `semver/ranges/...`): 26 CommonJS files instead of the 47 that `semver`'s index loads, for every
 * function and class it has (issue 17: start-up of a scan; docs/architecture.md, "semver").
 * Same functions, same behaviour; callers use them as `semver.satisfies(...)`.
 */
import coerce from 'semver/functions/coerce.js';
import compare from 'semver/functions/compare.js';
import gt from 'semver/functions/gt.js';
import gte from 'semver/functions/gte.js';
import satisfies from 'semver/functions/satisfies.js';
import valid from 'semver/functions/valid.js';
import intersects from 'semver/ranges/intersects.js';
import subset from 'semver/ranges/subset.js';
import validRange from 'semver/ranges/valid.js';

const semver = { coerce, compare, gt, gte, satisfies, valid, intersects, subset, validRange };
export default semver;
