// Runs every graphql-http server audit against URL (argv[2]) and fails on any
// result that is not "ok": errors and warnings alike.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
let bad = 0;
let passed = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed++;
    continue;
  }
  bad++;
  console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
}
console.log(`graphql-http audit: ${passed} of ${passed + bad} audits ok`);
process.exit(bad === 0 ? 0 : 1);
