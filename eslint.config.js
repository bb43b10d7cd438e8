// ESLint flat config: typescript-eslint's recommended rules over the whole project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// SQL keywords as this project writes them (upper case), at the start of a string.
const SQL_TEXT =
  '/^\\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|WITH|BEGIN|COMMIT|ROLLBACK|VACUUM)\\s/';
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

/** Each layer's folder, and the folders (or top-level modules) it must not import from. */
const LAYERS = [
  {
    files: 'src/domain',
    below: false,
    forbidden: [
      'periods',
      'rating',
      'statements',
      'archive',
      'store',
      'ingest',
      'mail',
      'cli',
      'config',
      'log',
      'jobs',
      'web',
    ],
  },
  {
    files: 'src/periods',
    below: false,
    forbidden: ['rating', 'statements', 'archive', 'store', 'ingest', 'mail', 'cli', 'config', 'log', 'jobs', 'web'],
  },
  {
    files: 'src/rating',
    below: false,
    forbidden: ['statements', 'archive', 'store', 'ingest', 'mail', 'cli', 'config', 'log', 'jobs', 'web'],
  },
  {
    files: 'src/statements',
    below: true,
    forbidden: ['store', 'ingest', 'mail', 'cli', 'config', 'log', 'jobs', 'web'],
  },
  {
    files: 'src/archive',
    below: true,
    forbidden: ['rating', 'statements', 'store', 'ingest', 'mail', 'cli', 'jobs', 'web'],
  },
  { files: 'src/mail', below: true, forbidden: ['rating', 'store', 'ingest', 'cli', 'jobs', 'web'] },
  { files: 'src/store', below: true, forbidden: ['ingest', 'mail', 'cli', 'jobs', 'web'] },
  { files: 'src/ingest', below: true, forbidden: ['mail', 'cli', 'jobs', 'web'] },
  { files: 'jobs', below: true, forbidden: ['cli', 'web'] },
  { files: 'src/web', below: true, forbidden: ['cli'] },
];

function layerRules() {
  return LAYERS.map((layer) => ({
    files: [`${layer.files}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: layer.forbidden.map((name) => ({
            regex: name === 'config' || name === 'log' ? `(^|/)${name}\\.ts$` : `(^|/)${name}/`,
            message: `${layer.files} does not import from ${name} (docs/architecture.md, the layers).`,
            allowTypeImports: layer.below,
          })),
        },
      ],
    },
  }));
}

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
  // Size: a module or a function past these is a sign it holds two things (warnings, not errors).
  {
    files: ['src/**/*.ts', 'jobs/**/*.ts'],
    rules: {
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  // The layers: each imports only those below it (docs/architecture.md). Types may cross upward where
  // a layer stores or shows another's records; the rating engine and the domain take none.
  ...layerRules(),
);
