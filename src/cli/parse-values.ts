/** The flag value parsers (src/app/parse-values.ts: run's settings use them too). */
export { parseDurationFlag, parseInstantFlag } from '../app/parse-values.js';
