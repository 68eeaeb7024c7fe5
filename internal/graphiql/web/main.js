// The GraphiQL page served by the c360 binary (internal/graphiql). Every
// module, style, font and worker is bundled by vite into ../dist, so the page
// works offline and under a CSP that allows only its own origin.
import 'graphiql/setup-workers/vite';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './page.css';

// The API is on the same origin as this page.
async function fetcher(params, opts) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      Accept: 'application/graphql-response+json, application/json',
      'Content-Type': 'application/json',
      ...(opts && opts.headers),
    },
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  return res.json();
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
