export {
  validateDns1123Label,
  validateDns1123Subdomain,
  validateQualifiedName,
  validateLabelKey,
  validateLabelValue,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelKey,
  isLabelValue,
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  QUALIFIED_NAME_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
} from './names';
export { createRequirement, SELECTOR_OPERATORS } from './requirement';
export type { Requirement, SelectorOperator, Labels } from './requirement';
export { everythingSelector, nothingSelector, selectorFromRequirements, selectorFromSet, labelSelectorFromObject } from './label-selector';
export type { Selector } from './label-selector';
export { parseLabelSelector } from './parse-label-selector';
export { compileNodeSelector, compileNodeSelectorTerm, nodeSelectorMatches, nodeSelectorTermMatches } from './node-selector';
export type { NodeLike, NodeSelectorMatcher } from './node-selector';
export { parseFieldSelector, fieldSelectorFromSet, fieldSelectorFromRequirements, everythingFieldSelector, escapeFieldSelectorValue } from './field-selector';
export type { FieldSelector, FieldRequirement } from './field-selector';
export { compileFieldGetter, fieldValue } from './field-value';
export type { FieldGetter } from './field-value';
export { supportedFieldSelectors, defaultFieldSelectors, fieldsSupportedBy, validateFieldSelector } from './supported-fields';
export { toleratesTaint, findUntoleratedTaint } from './tolerations';
