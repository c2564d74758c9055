package eventstest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecorderKeepsEventsInOrder(t *testing.T) {
	var r Recorder
	r.Eventf(nil, "Normal", "Created", "pod %s", "a")
	r.Eventf(nil, "Warning", "Failed", "pod %s: %v", "b", "boom")
	r.Eventf(nil, "Normal", "Created", "pod %s", "c")
	require.Equal(t, []string{"Normal Created pod a", "Warning Failed pod b: boom", "Normal Created pod c"}, r.Events())
	require.Equal(t, []string{"Created", "Failed", "Created"}, r.Reasons())
	require.Equal(t, 2, r.Count("Normal Created pod "))
	require.Equal(t, 0, r.Count("Normal Deleted"))
}
