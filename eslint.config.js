// ESLint (flat config): typescript-eslint's recommended rules, with type information, over every TypeScript file;
// the few plain-JavaScript entries get the same rules without it. `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.wrangler/', 'models/', '.siglip/', 'tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it (test/worker has its own); the root configs are in none.
        projectService: { allowDefaultProject: ['*.ts', '*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A `let` that a callback reads before its one assignment (a server, set once it listens) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Type-only imports say so (`import type`, or `type` inline in a mixed import), as most of the code already does.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off: an async function that implements a Promise-returning interface (a store, a cache) turns a throw into
      // the rejection its callers handle; dropping `async` to please this rule would change that.
      '@typescript-eslint/require-await': 'off',
      // Messages print shapes as `[${shape}]` → [1,3,384,384] on purpose (see STYLE.md).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowArray: true }],
      // Promise.all over values that may or may not be promises (Hono's app.request gives Response | Promise<Response>).
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
      // Passing on what came (a caught error is `unknown`, an AbortSignal's reason `any`) is not inventing a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // Off here: the JSON scanner compares bytes with a const enum of character codes, which is the enum's purpose.
    files: ['shared/codec/jsonCursor.ts'],
    rules: { '@typescript-eslint/no-unsafe-enum-comparison': 'off' },
  },
  {
    // Off in tests and benches: they read response bodies as parsed JSON (`any`) and assert on them with expect(),
    // which is their type check; typing every body would add casts, not safety.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
