export { Quantity } from './quantity';
export type { QuantityFormat } from './quantity';
export { parseQuantity, tryParseQuantity, QUANTITY_FORMAT_MESSAGE } from './parse-quantity';
export { toQuantity, sumQuantities, compareQuantities, formatQuantity } from './quantity-like';
export type { QuantityLike } from './quantity-like';
export { quantityOf, addResourceLists, subtractResourceLists, maxResourceLists, insufficientResources } from './resource-list';
export type { ResourceList, ResourceListLike } from './resource-list';
