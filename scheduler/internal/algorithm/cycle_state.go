package algorithm

import "fmt"

// CycleState carries what predicates and priorities computed for one pod in one scheduling
// cycle, keyed by their names. Writes happen in PreFilter and PreScore, which run one at a time;
// Filter and Score only read, so they may run concurrently.
type CycleState struct {
	data map[string]any
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{data: map[string]any{}} }

// Write stores v under key.
func (s *CycleState) Write(key string, v any) { s.data[key] = v }

// Read returns what was stored under key as a T. It fails when nothing of that type is there,
// which means the PreFilter or PreScore that writes it did not run.
func Read[T any](s *CycleState, key string) (T, error) {
	v, ok := s.data[key].(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("cycle state has no %T under %q", zero, key)
	}
	return v, nil
}
