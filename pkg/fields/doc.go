// Package fields implements Kubernetes field selectors, the fieldSelector query parameter:
// comma-separated terms "field=value", "field==value" or "field!=value", all of which must hold,
// matched against a Set of an object's selectable fields (metadata.name, spec.nodeName,
// status.phase...). In values, ',', '=' and '\' are escaped with a backslash, as in Kubernetes.
//
// A server parses the parameter, restricts it to the fields a resource supports with
// Transform(Supported(...)) — the error names the field, "field label not supported: spec.foo" —
// and may use RequiresExactMatch to serve, say, metadata.name=x by a direct lookup.
package fields
