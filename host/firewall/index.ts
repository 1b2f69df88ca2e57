export { NftFirewall } from './backend.js';
export { type OwnedRule, type PublishedPort, type Rule, parseRuleKey, ruleKey } from './rules.js';
