#!/usr/bin/env node
'use strict';
// The CLI is TypeScript compiled to dist/ (npm run build); this shim only starts it.
require('../dist/src/cli/index.js').main();
