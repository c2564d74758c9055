// Package labels implements Kubernetes label selectors: the string syntax of the labelSelector
// query parameter and kubectl's -l flag, the structured metav1.LabelSelector of controllers'
// specs, and matching them against an object's labels.
//
//	sel, err := labels.Parse("app=web,tier in (frontend,cache),!canary")
//	if err != nil { ... }
//	sel.Matches(labels.Set(pod.GetMetadata().GetLabels()))
//
// The syntax is Kubernetes': requirements joined by commas, all of which must hold. Each is "key"
// (exists), "!key" (does not exist), "key=value", "key==value", "key!=value" (also true when the
// key is absent), "key in (v1,v2)", "key notin (v1,v2)" (also true when absent), and "key>n" or
// "key<n" for integers. Keys must be qualified names and values valid label values (see package
// validation); errors name the offending token or key.
//
// A Selector is immutable and safe for concurrent use. Everything selects all objects, Nothing
// none; a nil metav1.LabelSelector selects nothing and an empty one everything, as in Kubernetes.
package labels
