// Apollo Client (with automatic persisted queries and graphql-ws subscriptions) against a
// running server, as an integrator's application would use it.
// Usage: node apollo.mjs <http endpoint url> <user token> <admin token>
// Prints one JSON object: what the HTTP requests carried (a hash, the document), the answers
// of the same query asked twice, and the instant notice the subscription heard.
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, adminToken] = process.argv.slice(2);
if (!url || !token || !adminToken) {
  console.error('usage: node apollo.mjs <graphql endpoint url> <token> <admin token>');
  process.exit(2);
}

const requests = [];
async function recordingFetch(input, init) {
  const body = JSON.parse(init.body);
  const response = await fetch(input, init);
  requests.push({
    document: typeof body.query === 'string',
    hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
  });
  return response;
}

function client(bearer) {
  const persisted = new PersistedQueryLink({
    sha256: (document) => createHash('sha256').update(document).digest('hex'),
  });
  const http = new HttpLink({
    uri: url,
    fetch: recordingFetch,
    headers: { Authorization: `Bearer ${bearer}` },
  });
  const ws = new GraphQLWsLink(
    createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${bearer}` },
    }),
  );
  const link = ApolloLink.split(
    ({ query }) => getMainDefinition(query).operation === 'subscription',
    ws,
    persisted.concat(http),
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const user = client(token);
const admin = client(adminToken);
const ME = gql`query Me { me { loginName } }`;
const first = await user.query({ query: ME, fetchPolicy: 'network-only' });
const second = await user.query({ query: ME, fetchPolicy: 'network-only' });

const heard = await new Promise((resolve, reject) => {
  let attempts = 0;
  const subscription = user
    .subscribe({ query: gql`subscription { instantNotices { title } }` })
    .subscribe({
      next: ({ data }) => {
        clearInterval(sender);
        subscription.unsubscribe();
        resolve(data.instantNotices.title);
      },
      error: reject,
    });
  // Until the subscription is attached and hears one.
  const sender = setInterval(() => {
    if (++attempts > 50) {
      clearInterval(sender);
      reject(new Error('no notice arrived'));
    }
    admin.mutate({
      mutation: gql`mutation Notice { sendInstantNotice(title: "Fire drill") { __typename } }`,
    });
  }, 100);
});

console.log(JSON.stringify({ requests, answers: [first.data, second.data], heard }));
process.exit(0);
