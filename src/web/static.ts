import path from 'node:path';

/**
 * Absolute path of `src/web/static` (checkout.css, checkout.js), served as-is with no build step.
 * Resolved from this file's directory two levels up, then back down into `src/web/static`, so it
 * is the same folder both when running from source (`src/web`, e.g. under Jest or swc-node) and
 * after `tsc -p tsconfig.build.json` (`dist/web`, since rootDir is `src`).
 */
export const staticDir: string = path.resolve(__dirname, '..', '..', 'src', 'web', 'static');

/** The Web Checkout SDK's source (`src/web/sdk/checkout-sdk.js`), minified when served. */
export const sdkSourceFile: string = path.resolve(
  __dirname,
  '..',
  '..',
  'src',
  'web',
  'sdk',
  'checkout-sdk.js',
);
