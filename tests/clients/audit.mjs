// The graphql-http audit of a running server, as GraphQL-over-HTTP clients see it.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Prints one JSON object: per requirement level (MUST, SHOULD, MAY) how many audits passed
// out of how many, and every audit that did not pass with its reason.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { MUST: { passed: 0, total: 0 }, SHOULD: { passed: 0, total: 0 }, MAY: { passed: 0, total: 0 } };
const misses = [];
for (const result of results) {
  const level = result.name.split(' ')[0];
  counts[level].total += 1;
  if (result.status === 'ok') {
    counts[level].passed += 1;
  } else {
    misses.push({ id: result.id, name: result.name, status: result.status, reason: result.reason });
  }
}
console.log(JSON.stringify({ counts, misses }));
