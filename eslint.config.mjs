// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O (or give access to the clock and randomness of the host). */
const IO_MODULES = [
  'node:*',
  'fs',
  'http',
  'https',
  'net',
  'crypto',
  'child_process',
  'mongodb',
  'express',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'pino',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-bench/',
      'dist-chaos/',
      'dist-replay/',
      'coverage/',
      '.data/',
      'test-artifacts/',
      'src/web/static/',
      // browser scripts served as they are, like src/web/static/
      'src/web/sdk/',
      'src/dev/demo-shop/public/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
  },
  {
    // Test bodies are untyped JSON from HTTP responses.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The domain is pure rules: it imports nothing of tokenpay outside domain/ and does no I/O.
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'domain/ imports nothing outside domain/.' },
            { group: IO_MODULES, message: 'domain/ does no I/O: keep it pure.' },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is deterministic and replayed: it orchestrates through activity *types* only
    // (proxies make the calls), and never touches the world itself.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Workflows import activity types only; call activities through proxies.',
            },
            {
              group: [
                '**/store',
                '**/store/*',
                '**/api/*',
                '**/gateway/*',
                '**/webhooks',
                '**/webhooks/*',
                '**/dev/*',
              ],
              message: 'Workflows reach the world through activities only.',
            },
            { group: IO_MODULES, message: 'Workflow code is deterministic: no I/O.' },
          ],
        },
      ],
    },
  },
);
