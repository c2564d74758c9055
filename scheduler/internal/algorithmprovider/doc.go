// Package algorithmprovider names scheduling algorithms. A Registry holds predicate and priority
// factories by key and algorithm providers — named sets of predicate keys and weighted priority
// keys, the equivalent of kube-scheduler's RegisterAlgorithmProvider(name, predicateKeys,
// priorityKeys) — and builds the algorithm a provider names. NewDefaultRegistry returns a registry
// holding every built-in predicate and priority and the built-in providers; nothing is global.
package algorithmprovider
