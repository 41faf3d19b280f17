// ESLint flat config. `npm run lint` runs it and `prettier --check`; `npm test` runs lint first, so CI fails on
// a lint error. Formatting is Prettier's alone: no stylistic rules here.
//
// The rule set is ESLint's and typescript-eslint's `recommended` (not the type-checked tier: on this code it
// needs a TypeScript program per tsconfig, about four times the CPU time and a gigabyte of memory, and most of
// what it adds are no-unsafe-* reports on supertest's untyped response bodies), react-hooks' two hook rules for
// the page, and the module boundaries of src/ (eslint/module-boundaries.js).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './eslint/module-boundaries.js';

export default defineConfig([
  globalIgnores(['dist/', 'web/dist/', 'coverage/', 'bench/data/', 'data/', 'web/src/api/schema.d.ts']),
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter or binding that is unused on purpose (an interface's argument,
      // the key dropped from a rest copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Control characters in this code's regular expressions are deliberate: log lines, object keys and
      // setting values are checked or escaped for them.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.{ts,mjs}', 'test/**/*.ts', 'bench/**/*.{ts,mjs}', '*.js', 'eslint/**/*.js', 'web/vite.config.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests read JSON response bodies, which supertest and fetch type as any.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    // The two rules of hooks (Preact's hooks follow React's). The plugin's other recommended rules are the
    // React Compiler's, which this page does not use.
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  ...moduleBoundaries,
]);
