// Writes docs/benchmarks.md (and its chart) again from the raw results of the last `npm run bench`
// (.local/bench-results.json, or the file named on the command line), after a change to the report
// alone: `npx tsx bench/rewrite.ts [results.json]`.
import { readFileSync } from 'node:fs';
import { writeEventsSection } from './events';
import { RESULTS_FILE, writeMarkdown, type Results } from './report';

const file = process.argv[2] ?? RESULTS_FILE;
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
results.goals ??= {};
writeMarkdown(results);
if (results.events) writeEventsSection(results.events);
console.log(`Wrote docs/benchmarks.md from ${file}`);
