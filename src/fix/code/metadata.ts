import type { CodeFixer } from '../../model/fix.js';
import { bodyInPreludeFixer } from './body-in-prelude.js';
import { junkBytesForEmptyBodyFixer } from './junk-bytes-for-empty-body.js';
import { hopByHopHeaderInPreludeFixer } from './hop-by-hop-header-in-prelude.js';
import { manualPreludeFixer } from './manual-prelude.js';
import { metadataSkippedOnPathFixer } from './metadata-skipped-on-path.js';
import { missingMetadataFixer } from './missing-metadata.js';
import { nonBufferChunkFixer } from './non-buffer-chunk.js';
import { setContentTypeAfterFromFixer } from './set-content-type-after-from.js';
import { setCookieCollapsedFixer } from './set-cookie-collapsed.js';
import { setCookieDroppedFixer } from './set-cookie-dropped.js';
import { setCookieDuplicatedFixer } from './set-cookie-duplicated.js';

/** Fixers of the response-metadata rules (one file per rule, named after it). */
export const metadataFixers: CodeFixer[] = [hopByHopHeaderInPreludeFixer, setCookieDuplicatedFixer, setCookieDroppedFixer, setCookieCollapsedFixer, bodyInPreludeFixer, junkBytesForEmptyBodyFixer, setContentTypeAfterFromFixer, missingMetadataFixer, metadataSkippedOnPathFixer, manualPreludeFixer, nonBufferChunkFixer];
