// The GraphiQL page served by the c360 binary (internal/graphiql). Every
// module, style, font and worker is bundled by vite into ../dist, so the page
// works offline and under a CSP that allows only its own origin.
import 'graphiql/setup-workers/vite';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { parse } from 'graphql';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './page.css';

// The API is on the same origin as this page. Subscriptions go over
// Server-Sent Events on the same endpoint, and GraphiQL shows each event as
// it arrives.
function fetcher(params, opts) {
  if (isSubscription(params)) return subscription(params, opts);
  return post(params, opts, 'application/graphql-response+json, application/json').then((res) => res.json());
}

function post(params, opts, accept, signal) {
  return fetch('/graphql', {
    method: 'POST',
    headers: { Accept: accept, 'Content-Type': 'application/json', ...(opts && opts.headers) },
    body: JSON.stringify(params),
    credentials: 'same-origin',
    signal,
  });
}

function isSubscription(params) {
  try {
    const ops = parse(params.query).definitions.filter((d) => d.kind === 'OperationDefinition');
    const op = params.operationName ? ops.find((d) => d.name && d.name.value === params.operationName) : ops[0];
    return Boolean(op) && op.operation === 'subscription';
  } catch {
    return false; // the server names the syntax error
  }
}

// subscription is an async iterator of the stream's results. Its return
// (GraphiQL's stop button) closes the stream at once, even between events.
function subscription(params, opts) {
  const ctrl = new AbortController();
  const results = sseResults(params, opts, ctrl.signal);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => results.next(),
    return: () => {
      ctrl.abort();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
}

async function* sseResults(params, opts, signal) {
  try {
    const res = await post(params, opts, 'text/event-stream', signal);
    if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
      yield await res.json(); // refused before streaming: the error document
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replaceAll('\r\n', '\n');
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const message = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of message.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          // lines starting with ':' are keep-alive comments
        }
        if (event === 'complete') return;
        if (data !== '') yield JSON.parse(data);
      }
    }
  } catch (err) {
    if (signal.aborted) return; // stopped by the user
    throw err;
  }
}

// The example operations are files in internal/graphiql/examples (the same
// texts as the README's examples); the server serves them as one JSON list.
async function exampleTabs() {
  try {
    const res = await fetch(new URL('examples.json', document.baseURI + 'graphiql/'));
    if (!res.ok) return undefined;
    const examples = await res.json();
    return examples.map((e) => ({ query: e.query, variables: e.variables || undefined }));
  } catch {
    return undefined; // GraphiQL still works, with its own default tab
  }
}

// GraphiQL 5.4 opens the first default tab without its variables (it takes
// them from initialVariables only); give them on a first visit, when no tabs
// are stored yet, so the first example runs as it is.
function firstVisit() {
  try {
    return window.localStorage.getItem('graphiql:tabState') === null;
  } catch {
    return true;
  }
}

const plugins = [HISTORY_PLUGIN, explorerPlugin()];

exampleTabs().then((defaultTabs) => {
  const props = { fetcher, plugins, defaultTabs, defaultEditorToolsVisibility: 'variables' };
  if (defaultTabs && defaultTabs.length > 0 && firstVisit()) {
    props.initialVariables = defaultTabs[0].variables;
  }
  createRoot(document.getElementById('graphiql')).render(createElement(GraphiQL, props));
});
