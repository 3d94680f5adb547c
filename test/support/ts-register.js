/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload script */
// Lets a child process run the TypeScript sources directly (no build): `node -r <this> src/x.ts`.
// Each .ts file is compiled to CommonJS with @swc/core, as Jest's transform does.
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  });
  module._compile(code, filename);
};
