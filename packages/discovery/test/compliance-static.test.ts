// The static strategy passes the strategy compliance suite.
import { staticStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'

strategyCompliance({
  name: 'static',
  factory: staticStrategy,
  // Every node gets every name, its own included (as an operator writes one seed list for all).
  init: (nodes) => ({ seeds: [...nodes] })
})
