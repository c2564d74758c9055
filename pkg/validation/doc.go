// Package validation checks names, label keys and values, ports and addresses the way Kubernetes
// does, returning Kubernetes' own human messages: each Is* function returns nil for a valid value
// and otherwise one message per rule broken. Callers turn the messages into field errors with the
// field subpackage, e.g. field.Invalid(path, value, msg).
package validation
