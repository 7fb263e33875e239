import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
let t=Date.now(), n=0;
const p = createReadStream('/tmp/m/demand.csv').pipe(parse({ columns: true, info: false, bom: true, trim: true, skip_empty_lines: true }));
for await (const r of p) n++;
console.log('csv-parse columns', n, Date.now()-t, 'ms');
t=Date.now(); n=0;
const p2 = createReadStream('/tmp/m/demand.csv').pipe(parse({ bom: true }));
for await (const r of p2) n++;
console.log('csv-parse arrays', n, Date.now()-t, 'ms');
t=Date.now(); n=0; let rest='';
for await (const chunk of createReadStream('/tmp/m/demand.csv', {encoding:'utf8'})) {
  let s = rest + chunk; let i=0, j;
  while ((j = s.indexOf('\n', i)) >= 0) { const line = s.slice(i, j); const f = line.split(','); n++; i = j+1; }
  rest = s.slice(i);
}
console.log('split', n, Date.now()-t, 'ms');
