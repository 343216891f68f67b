// sim/validation: what kube-apiserver does to a written object between decoding and
// storage — schema decode checks (unknown/duplicate fields, types, pruning), defaulting,
// and validation with field causes. sim/admission.ts runs them in kube's order.
export { checkFields, QUANTITY_ERROR, type FieldReport, type TypeIssue } from './fields.js';
export { duplicateFields } from './duplicates.js';
export { applyDefaults, carryOver, defaultPodSpec, defaultPullPolicy } from './defaults.js';
export { validateCreate, validateUpdate, type ValidateOptions } from './kinds.js';
export { invalidError, fe, qualifiedKind, type Causes } from './errors.js';
