import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    noStyle: true,
    ignores: ['**/dist/**', '.cache/**', '**/target/**', 'conformance/java/**']
  }),
  {
    files: ['packages/ratings-service/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['kstreams-ts/*/internals/*', '**/kstreams/src/**'],
              message: 'Use the public exports of kstreams-ts only.'
            }
          ]
        }
      ]
    }
  }
]
