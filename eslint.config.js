import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const electronOnly = {
  name: 'electron',
  message: 'Only the Electron shell (src-main/electron, src-preload) may import electron.',
};

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', 'out/**', 'agent/dist/**', 'bench/results/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json', './agent/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron'] }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['src-main/electron/**', 'src-preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly],
        },
      ],
    },
  },
  // Production code runs programs through the one runner and touches SQLite only in db/ modules
  // (DESIGN.md). Tests, benchmarks and scripts start processes of their own.
  {
    files: ['src-main/**/*.ts', 'agent/src/**/*.ts'],
    ignores: [
      'src-main/electron/**',
      '**/*.spec.ts',
      'agent/src/util/run.ts',
      'agent/src/util/execa.ts',
      // Runs at every agent start: node's execFile keeps execa out of an idle agent's memory.
      'agent/src/ops/system-info.ts',
      // An export's ffmpeg reads frames from stdin for hours (see the file's header).
      'src-main/export/ffmpeg.ts',
      // The embedded simulated agent: a long-lived Node child process the station supervises.
      'src-main/agents/embedded-agent.ts',
      'src-main/db/**',
      'agent/src/db/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            electronOnly,
            {
              name: 'execa',
              message: 'Run programs through agent/src/util/run.ts (runProgram, runChecked, spawnProgram).',
            },
            { name: 'node:child_process', message: 'Run programs through agent/src/util/run.ts.' },
            { name: 'child_process', message: 'Run programs through agent/src/util/run.ts.' },
            { name: 'better-sqlite3', message: 'Only db/ modules (src-main/db, agent/src/db) touch SQLite.' },
          ],
        },
      ],
    },
  },
  // A function does one job and reads on a screen or two (issue #13). The few longer ones (route tables, the
  // CLI's command switch, one ffmpeg run, one HTTP exchange) say why beside them with an eslint-disable comment.
  {
    files: ['src-main/**/*.ts', 'agent/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
    },
  },
);
