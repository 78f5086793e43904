// Lint rules for the whole repository. Run with `npm run lint` (part of `npm test`).
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // A `let` that a closure reads before its one assignment (a stop handler set up before the thing it stops) stays `let`.
  { rules: { 'prefer-const': ['error', { ignoreReadBeforeAssign: true }] } },
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'data/**', 'coverage/**', '.tap/**', 'test/export/.compiled-*/**'] },

  // Product code: typescript-eslint's type-checked rules, with the types of the two builds
  // (tsconfig.json for the server, src/ui/tsconfig.json for the browser bundle).
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './src/ui/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tsc already refuses unused locals and parameters (noUnusedLocals/noUnusedParameters), `_` names included.
      '@typescript-eslint/no-unused-vars': 'off',
      // The `!` on an indexed read (`parts[0]!`, `rawHeaders[i]!`) marks a value known to be there; it is kept on purpose.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Store and exporter methods are `async` without an `await` so that a synchronous throw (SQLite) becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // String(x) of a value read from JSON, YAML or protobuf (typed `{}` once null is ruled out) is the intended text form.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },

  // The UI: the rules of hooks (Preact's hooks follow React's).
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    extends: [reactHooks.configs.flat.recommended],
    rules: {
      // These React Compiler checks know React's useRef only: a Preact ref (from preact/hooks) looks like
      // any hook value to them, so every `ref.current = ...` in a handler or effect is reported.
      'react-hooks/immutability': 'off',
      'react-hooks/refs': 'off',
    },
  },

  // Tests, benchmarks and scripts: the plain recommended rules without type information.
  // They are not in either tsconfig (no type program to check them against), and they drive
  // real processes and sockets where fire-and-forget promises and loose JSON are the point.
  {
    files: ['test/**/*.ts', 'test/**/*.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      // Tests read the collector's JSON answers loosely and assert on the fields they care about.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['bench/**/*.js', 'scripts/**/*.js', 'bin/**/*.js', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
)
