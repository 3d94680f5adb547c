/**
 * GET /openapi.json (the document) and GET /docs (Swagger UI from the swagger-ui-dist package,
 * served as static files). The API's CSP allows only same-origin scripts, so the page loads its
 * initialisation from /docs/init.js instead of an inline script.
 *
 * CSP: /docs runs under the app's CSP unchanged (`script-src 'self'; style-src 'self'`). Swagger
 * UI's stylesheet is a file and React sets `style` properties through the CSSOM, which that policy
 * allows. The one inline `<style>` Swagger UI has is inside the logo SVG of its "standalone"
 * top bar (the URL box), so the page uses `BaseLayout` without that bar instead of relaxing the
 * policy. test/e2e/docs-browser.test.ts checks this in Chromium.
 */
import path from 'node:path';
import express, { Router } from 'express';

import type { OpenApiDocument } from './document';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** The only files of swagger-ui-dist served (not its sample index.html or initializer). */
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-16x16.png', 'favicon-32x32.png']);

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>tokenpay API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

const INIT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

export function openApiRoutes(document: OpenApiDocument): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json').send(body);
  });
  router.get('/docs', (req, res, next) => {
    // '/docs/' too (non-strict routing); assets are under /docs/<file>
    if (req.path !== '/docs' && req.path !== '/docs/') return next();
    res.set('Cache-Control', 'no-cache').type('html').send(PAGE);
  });
  // Assets (not API routes): the init script and a few files of swagger-ui-dist.
  const assets = express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d', fallthrough: true });
  router.use('/docs', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/init.js') {
      res.set('Cache-Control', 'no-cache').type('application/javascript').send(INIT);
      return;
    }
    if (!ASSETS.has(req.path.replace(/^\//, ''))) return next();
    assets(req, res, next);
  });
  return router;
}
