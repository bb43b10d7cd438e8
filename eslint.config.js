// ESLint flat config: typescript-eslint's recommended rules over the whole project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SQL_TEXT =
  '/^\\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|WITH|BEGIN|COMMIT|ROLLBACK|VACUUM)\\s/i';
const STORE_ONLY = 'SQL runs in src/store only: call (or add) a repository function there.';
const sqlOutsideStore = [
  { selector: `Literal[value=${SQL_TEXT}]`, message: STORE_ONLY },
  { selector: `TemplateLiteral > TemplateElement:first-child[value.raw=${SQL_TEXT}]`, message: STORE_ONLY },
  {
    selector: 'CallExpression[callee.property.name=/^(prepare|pragma|transaction|backup|function|aggregate)$/]',
    message: STORE_ONLY,
  },
  {
    selector: "CallExpression[callee.property.name='exec'][callee.object.name=/^(db|store|connection)$/i]",
    message: STORE_ONLY,
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/runtime/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-globals': [
        'error',
        { name: 'parseFloat', message: 'Money and quantities are decimal.js values.' },
      ],
    },
  },
  // SQL lives in src/store only: the store is the one seam a second database engine implements.
  // Elsewhere in the program no SQL text, no statement, pragma or transaction of a connection, no
  // driver import. (The tests read the store file to check what was written, and the benchmark
  // times the driver itself: they may.)
  {
    files: ['src/**/*.ts', 'jobs/**/*.ts', 'scripts/**/*.{ts,js}'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'better-sqlite3', message: 'The database is reached through src/store only.' }] },
      ],
      'no-restricted-syntax': ['error', ...sqlOutsideStore],
    },
  },
);
