// Type-aware lint: the rules that catch real bugs in async, crypto and protocol code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // Pure layers: no clocks, no ambient randomness, no I/O (ARCHITECTURE.md §3).
    files: ['src/crypto/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'performance', 'process', 'fetch'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject time; src/core and src/crypto are pure.' },
        {
          object: 'Math',
          property: 'random',
          message: 'Inject randomness; src/core and src/crypto are pure.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs*',
                'node:net',
                'node:tls',
                'node:http*',
                'node:child_process',
                'node:worker_threads',
                'node:dgram',
              ],
              message: 'I/O belongs in src/runtime.',
            },
            {
              group: ['**/runtime/**', '**/api/**', '**/sdk/**', '**/cli/**'],
              message: 'Pure layers import nothing above them.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests may use loose types to feed malformed input to the code under test.
    files: ['test/**/*.ts', 'sim/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
