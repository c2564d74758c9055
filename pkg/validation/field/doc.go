// Package field describes validation failures of individual fields of an API object, as
// k8s.io/apimachinery/pkg/util/validation/field does: a Path names the field
// (spec.containers[0].name), an Error says what is wrong with it ("spec.containers[0].name: Required
// value"), and an ErrorList collects every failure so the API server can answer Invalid naming each
// bad field.
package field
