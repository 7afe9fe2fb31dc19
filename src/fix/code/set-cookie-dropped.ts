import { setCookieDropped } from '../../checks/code/set-cookie-dropped.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined } from '../ast-support.js';
import { addCookiesFromHeaders, declining } from './metadata-support.js';

/**
 * Adds `cookies: <headers>.getSetCookie()` to the metadata literal when its headers were copied from a Fetch
 * Headers (`Object.fromEntries(res.headers)`, a copy loop) that still holds the cookies. Declined for Node
 * header maps (`Object.entries(res.headers)`): their set-cookie may be a string or an array under any case.
 */
export const setCookieDroppedFixer = defineCodeFixer(setCookieDropped, (problem, facts) =>
  declining(() => {
    const { call, shape, copy } = problem.payload;
    if (!copy) throw new Declined('the headers are not a visible copy of the response headers');
    const { source, edits } = addCookiesFromHeaders(facts, call, shape.object, copy);
    return { title: `pass cookies: ${source}.getSetCookie() in the metadata`, edits };
  }),
);
