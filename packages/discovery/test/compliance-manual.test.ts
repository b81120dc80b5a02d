// The manual strategy passes the strategy compliance suite (it knows nobody).
import { manualStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'

strategyCompliance({
  name: 'manual',
  factory: manualStrategy,
  init: () => ({}),
  knowsNothing: true
})
