export {
  billedTokensOf,
  callCost,
  configuredPrices,
  costHeaderValue,
  costOfTokens,
  worstCaseCost,
  type BilledTokens,
  type CallCost,
  type ConfiguredPrices,
  type PriceSource,
} from './cost.js';
